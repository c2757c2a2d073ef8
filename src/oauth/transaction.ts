import * as z from "zod/mini";
import type { AuthClient } from "../core/client";
import { context } from "../core/state";
import { parseStored } from "../core/storage";
import { pure } from "../wire/pure";

/** @internal what is kept across the redirect. */
export interface Transaction {
  state: string;
  providerId: string;
  issuer: string;
  clientId: string;
  redirectUri: string;
  verifier: string;
  nonce: string;
  scopes: string[];
  returnTo: string | null;
  createdAt: number;
}

/**
 * The pending sign-ins' states and start times, to sweep the expired ones. (Objects, not
 * `[state, time]` tuples: zod's tuple costs 0.55 kB gz. An index of the older tuple form reads as
 * empty; its sign-ins still complete, as each is stored under its own key.)
 */
const IndexSchema = /* @__PURE__ */ pure(() => z.array(z.object({ state: z.string(), at: z.number() })));
type Index = z.infer<typeof IndexSchema>;

/** A pending sign-in expires after 10 minutes. */
export const TRANSACTION_TTL_MS = 10 * 60_000;

/** @internal */
export const keyOf = (auth: AuthClient, state: string) => `${auth.options.storageKey}.oauth.${state}`;
/** @internal */
export const indexKey = (auth: AuthClient) => `${auth.options.storageKey}.oauth`;

/** @internal */
export async function readIndex(auth: AuthClient): Promise<Index> {
  try {
    return parseStored(await context(auth).transactionStorage.getItem(indexKey(auth)), IndexSchema) ?? [];
  } catch {
    return []; // storage that throws: no index
  }
}

/** @internal stores a transaction under its state (several flows can be pending) and sweeps expired ones. */
export async function saveTransaction(auth: AuthClient, tx: Transaction): Promise<void> {
  const storage = context(auth).transactionStorage;
  const now = context(auth).clock.now();
  const index = await readIndex(auth);
  const keep: Index = [];
  for (const entry of index) {
    if (now - entry.at > TRANSACTION_TTL_MS) await storage.removeItem(keyOf(auth, entry.state));
    else keep.push(entry);
  }
  keep.push({ state: tx.state, at: tx.createdAt });
  await storage.setItem(
    keyOf(auth, tx.state),
    JSON.stringify({
      v: 1,
      state: tx.state,
      provider_id: tx.providerId,
      issuer: tx.issuer,
      client_id: tx.clientId,
      redirect_uri: tx.redirectUri,
      verifier: tx.verifier,
      nonce: tx.nonce,
      scopes: tx.scopes,
      return_to: tx.returnTo,
      created_at: tx.createdAt,
    }),
  );
  await storage.setItem(indexKey(auth), JSON.stringify(keep));
}
