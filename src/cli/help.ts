/**
 * The `--help` texts.
 *
 * @module
 */

const DATABASE = `  --db PATH             the SQLite database file (default ./auth.sqlite, created when
                        missing; :memory: for the memory store)
  --database-url URL    PostgreSQL instead: postgres://user:password@host:5432/database
                        (or TEGATA_DATABASE_URL, which keeps the password out of the process
                        list); needs the pg package: npm install pg`;

export const MAIN_HELP = `tegata: the tegata auth server from the command line

Usage:
  tegata serve [options]              run the auth server over HTTP
  tegata migrate [options]            apply the database schema migrations
  tegata user add <email> [options]   create a user (the server's password policy applies)
  tegata user suspend <email|id> --reason TEXT
  tegata user unsuspend <email|id>
  tegata user unlock <email|id>       end a lockout early
  tegata <command> --help             the options of a command
  tegata --version

Environment:
  TEGATA_SECRET         the server's secret, at least 32 bytes: it seals the signing keys and
                        TOTP secrets in the database. Every instance on one database, and every
                        command on it, needs the same one.
  TEGATA_DATABASE_URL   the PostgreSQL URL, when --database-url is not given
  TEGATA_ISSUER         the server's public URL, when --issuer is not given

More: "The tegata command" in tegata's docs/server.md.
`.trimEnd();

export const SERVE_HELP = `Usage: tegata serve [options]

Runs the auth server (every endpoint of the HTTP contract, its JWKS and /health) over HTTP.
Prints where it listens, then one line per request: method, path (never the query string),
status and milliseconds. On SIGTERM or SIGINT it stops accepting connections, lets the requests
in flight finish (10 s at most), closes the database and exits with 0.

Options:
${DATABASE}
  --port N              the port (default PORT, else 8787; 0 picks a free one)
  --host HOST           the address to listen on (default 127.0.0.1; 0.0.0.0 or :: for every
                        interface)
  --issuer URL          the server's public URL, the iss of its tokens (default TEGATA_ISSUER,
                        else http://HOST:PORT); keep it the same across restarts and instances
  --trust-proxy         read the client's IP from X-Forwarded-For (only behind a proxy you
                        control: anyone can send that header)
  --cors-origin ORIGIN  let browser pages of ORIGIN call the server (repeatable)
  --app-origin ORIGIN   an origin that links in mails and redirect_to may point to (repeatable)
  --no-migrate          apply no schema migration at startup (run tegata migrate first)
  --quiet               no request log
  --dev                 development: without TEGATA_SECRET, a random secret for this run (and
                        said so); without --db or --database-url, the memory store
  -h, --help            this help

Environment: TEGATA_SECRET (required unless --dev), TEGATA_DATABASE_URL, TEGATA_ISSUER, PORT.

The command sends no mail (password reset, email change): mails are logged by kind only. To send
them, run createAuthServer({ mailer }) from tegata/server in your own process.
`.trimEnd();

export const MIGRATE_HELP = `Usage: tegata migrate [options]

Applies the schema migrations the database lacks, and says which. Idempotent; instances that
start at once migrate one after another. (tegata serve migrates at startup too, unless
--no-migrate.)

Options:
${DATABASE}
  -h, --help            this help
`.trimEnd();

export const USER_HELP = `Usage:
  tegata user add <email> [--name NAME] [--verified] [--password-stdin] [--actor NAME] [database options]
  tegata user suspend <email|id> --reason TEXT [--actor NAME] [database options]
  tegata user unsuspend <email|id> [--actor NAME] [database options]
  tegata user unlock <email|id> [--actor NAME] [database options]

add        creates the user with server.admin.createUser: the server's password policy and
           password hash apply; no session, no sign-in in the history. The password is asked for
           twice on the terminal, or read from standard input with --password-stdin (one line).
           The address counts as verified only with --verified.
suspend    suspends the account: sign-in answers account_suspended, its sessions end now.
unsuspend  lifts a suspension.
unlock     ends a lockout after failed sign-ins early.

Every action is written to the audit trail as operator:<actor> with the reason
(--actor, default the OS user name). A user is named by address, or by id (usr_…).

Options:
${DATABASE}
  --name NAME           (add) the user's display name
  --password-stdin      (add) read the password from standard input
  --verified            (add) the address counts as verified
  --reason TEXT         why (required for suspend; recorded for the others)
  --actor NAME          who acts (default: the OS user name)
  -h, --help            this help

Environment: TEGATA_SECRET (required: the server's secret), TEGATA_DATABASE_URL.
`.trimEnd();
