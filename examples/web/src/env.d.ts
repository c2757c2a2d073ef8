// The build-time settings of the example (Vite's import.meta.env): set by
// examples/web/server-mode.mjs (npm run example:web:server) and by the e2e; none in the mock mode.
interface ImportMetaEnv {
  /** A real tegata server's URL: the page talks to it instead of the mock. */
  readonly VITE_TEGATA_SERVER?: string;
  /** The TOTP secret the seeding gave Hanako there, for the demo helper's code (demo only). */
  readonly VITE_TEGATA_DEMO_TOTP_SECRET?: string;
  /** The seeded seller's user id there, for "what other users see". */
  readonly VITE_TEGATA_DEMO_SELLER_ID?: string;
  /** The dev mailbox of server-mode.mjs: the mails the server sent, as JSON (demo only). */
  readonly VITE_TEGATA_DEV_MAILBOX?: string;
}

interface ImportMeta {
  readonly env: ImportMetaEnv;
}
