/**
 * Mail addresses as the SMTP mailer puts them in headers and the envelope: one plain address,
 * checked before nodemailer sees it, so that no display name, second recipient or header can hide
 * in a value that reached the server (a user's address, the sender's name).
 *
 * @module
 */

/** RFC 5322 `atext`: the characters of an unquoted local part, besides dots between them. */
const DOT_ATOM = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
/** One DNS label (ASCII, after IDNA). */
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/** An address the SMTP mailer will not put in a mail. Permanent: sending again cannot help. */
export class MailAddressError extends Error {
  /** Permanent: the outbox gives the mail up at once. */
  readonly permanent = true;
  /** Always `EADDRESS`. */
  readonly code = "EADDRESS";
  constructor(reason: string) {
    super(`tegata: refused mail address (${reason})`);
    this.name = "MailAddressError";
  }
}

/**
 * Checks one address and returns it as it goes into the mail: the local part as it is (ASCII
 * dot-atom only: no quotes, spaces, commas, angle brackets, comments or control characters), the
 * domain in ASCII (an internationalised domain through IDNA, `例え.jp` → `xn--r8jz45g.jp`).
 *
 * @throws MailAddressError for anything else: a display name (`Name <a@b>`), a quoted local part
 *   (`"Evil <a@b>"@x`), a list (`a@b, c@d`), CR/LF, a non-ASCII local part (it would need
 *   SMTPUTF8), a local part over 64 or an address over 254 octets, a malformed domain.
 */
export function plainAddress(address: string): string {
  if (typeof address !== "string") throw new MailAddressError("not a string");
  const at = address.lastIndexOf("@");
  if (at <= 0 || at === address.length - 1) throw new MailAddressError("not local@domain");
  const local = address.slice(0, at);
  const domainInput = address.slice(at + 1);
  if (!DOT_ATOM.test(local)) throw new MailAddressError("the local part is not a plain dot-atom");
  if (local.length > 64) throw new MailAddressError("the local part is longer than 64 octets");
  // Only characters a host name may hold go to the IDNA conversion (URL would drop or escape others).
  if (/[\s@/\\?#%:[\]<>"'(),;]/u.test(domainInput) || /\p{Cc}/u.test(domainInput)) {
    throw new MailAddressError("the domain is malformed");
  }
  let domain: string;
  try {
    domain = new URL(`http://${domainInput}`).hostname;
  } catch {
    throw new MailAddressError("the domain is malformed");
  }
  const labels = domain.split(".");
  if (labels.length < 2 || !labels.every((l) => LABEL.test(l)) || /^[0-9]+$/.test(labels.at(-1) ?? "")) {
    throw new MailAddressError("the domain is malformed");
  }
  const plain = `${local}@${domain}`;
  if (plain.length > 254) throw new MailAddressError("the address is longer than 254 octets");
  return plain;
}

/** Text fit for a header (a subject, a display name): control characters (CR, LF, …) become spaces. */
export function headerText(value: string): string {
  return value
    .replace(/[\p{Cc}\u2028\u2029]+/gu, " ")
    .replace(/\s{2,}/g, " ")
    .trim();
}
