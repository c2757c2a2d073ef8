// Typechecks every ```ts block of README.md and docs/*.md against the sources, in one tsc run.
//
// Each block becomes a module of its own in test-output/snippets/ (gitignored), so it may use
// top-level await and declare what it needs; "tegata" and "tegata/…" resolve to src/ through
// tsconfig.json's paths. What a block may use without declaring it:
//
// - the few ambient values of PRELUDE (`auth`, `email`, `password`, `show`, …): what a reader's
//   app has, declared with their real types and nothing more;
// - on one page, the imports of the page's import-only blocks (docs/credentials.md opens with
//   the module's import list; the blocks below use it), and the values of CONTEXT[page] (the
//   recipes of docs/mock.md run inside the test file shown above them).
//
// API names are never declared here: a block imports what it calls, and the import-only blocks
// are checked like any other. A fence without a language is refused: tag prose ```sh, ```text.
//
// Run: npm run check:snippets   (prints file:line:col of every error; exits 1 on any)
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const ts = require("typescript");
const root = fileURLToPath(new URL("..", import.meta.url));
const out = join(root, "test-output", "snippets");
const pages = [
  "README.md",
  ...readdirSync(join(root, "docs"))
    .filter((f) => f.endsWith(".md"))
    .sort()
    .map((f) => `docs/${f}`),
];

// Ambient values every block may use: what the surrounding app has. Keep it small and honest.
const PRELUDE = `import type { AuthClient } from "tegata";

declare global {
  /** The app's client: createAuthClient({ baseUrl, … }). */
  const auth: AuthClient;
  /** What the user typed. */
  const email: string;
  const password: string;
  const currentPassword: string;
  const newPassword: string;
  /** A TOTP code the user typed (or a server received). */
  const code: string;
  /** The token of an email link. */
  const token: string;
  /** The app's OAuth client id. */
  const clientId: string;
  /** The app's UI: shows a message to the user. */
  function show(message: string): void;
}
export {};
`;

// Values one page's blocks share, declared before each block that does not declare them itself.
const CONTEXT = {
  // "Below, `user` is your stored user record and `pepper` a server-side secret; `code` and
  // `recoveryCode` are what the user typed."
  "docs/totp.md": {
    user: "{ lastTotpStep: number | null; recoveryHashes: string[] }",
    pepper: "string",
    recoveryCode: "string",
  },
  // The recipes are tests in the test file of "Two lines": its mock, server and client.
  "docs/mock.md": {
    mock: `import("tegata/mock").MockAuth`,
    server: `import("msw/node").SetupServer`,
  },
};

// Third-party modules of the examples that are not dev dependencies here, typed as they are.
const MODULES = `declare module "@react-native-async-storage/async-storage" {
  const AsyncStorage: {
    getItem(key: string): Promise<string | null>;
    setItem(key: string, value: string): Promise<void>;
    removeItem(key: string): Promise<void>;
  };
  export default AsyncStorage;
}
`;

/** Every fenced block of a Markdown file: its language, first code line (1-based) and code. */
function fencedBlocks(text) {
  const lines = text.split("\n");
  const found = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*([\w-]*)/.exec(lines[i]);
    if (!open) continue;
    const [, indent, fence, lang] = open;
    const close = new RegExp(`^\\s*${fence[0]}{${fence.length},}\\s*$`);
    let end = i + 1;
    while (end < lines.length && !close.test(lines[end])) end++;
    const code = lines
      .slice(i + 1, end)
      .map((l) => (l.startsWith(indent) ? l.slice(indent.length) : l.trimStart()))
      .join("\n");
    found.push({ lang, fenceLine: i + 1, line: i + 2, code });
    i = end;
  }
  return found;
}

/** Top-level names a block declares (imports, variables, functions, classes, types). */
function declaredNames(source) {
  const names = new Set();
  const bind = (node) => {
    if (!node) return;
    if (ts.isIdentifier(node)) names.add(node.text);
    else if (ts.isObjectBindingPattern(node) || ts.isArrayBindingPattern(node)) {
      for (const element of node.elements) if (!ts.isOmittedExpression(element)) bind(element.name);
    }
  };
  for (const statement of source.statements) {
    if (ts.isImportDeclaration(statement)) {
      const clause = statement.importClause;
      bind(clause?.name);
      const named = clause?.namedBindings;
      if (named && ts.isNamespaceImport(named)) bind(named.name);
      else if (named) for (const element of named.elements) bind(element.name);
    } else if (ts.isVariableStatement(statement)) {
      for (const declaration of statement.declarationList.declarations) bind(declaration.name);
    } else if ("name" in statement && statement.name && ts.isIdentifier(statement.name)) {
      bind(statement.name);
    }
  }
  return names;
}

/** The imports of an import-only block, one per name: `{ name, text }`; null for other blocks. */
function importList(source) {
  const list = [];
  for (const statement of source.statements) {
    if (!ts.isImportDeclaration(statement)) return null;
    const from = statement.moduleSpecifier.getText(source);
    const clause = statement.importClause;
    const typeOnly = clause?.isTypeOnly ? "type " : "";
    if (clause?.name)
      list.push({ name: clause.name.text, text: `import ${typeOnly}${clause.name.text} from ${from};` });
    const named = clause?.namedBindings;
    if (named && ts.isNamespaceImport(named)) {
      list.push({ name: named.name.text, text: `import ${typeOnly}* as ${named.name.text} from ${from};` });
    } else if (named) {
      for (const element of named.elements) {
        list.push({
          name: element.name.text,
          text: `import ${typeOnly}{ ${element.getText(source)} } from ${from};`,
        });
      }
    }
  }
  return list.length > 0 ? list : null;
}

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
writeFileSync(join(out, "prelude.ts"), PRELUDE);
writeFileSync(join(out, "modules.d.ts"), MODULES);

const snippets = new Map(); // file name in `out` → { page, line, header }
const problems = []; // { page, line, text }
for (const page of pages) {
  const pageImports = [];
  for (const block of fencedBlocks(readFileSync(join(root, page), "utf8"))) {
    if (block.lang === "") {
      problems.push({
        page,
        line: block.fenceLine,
        text: " a fence without a language: tag it (```ts, ```sh, ```text…)",
      });
      continue;
    }
    if (block.lang !== "ts" && block.lang !== "typescript") continue;
    const source = ts.createSourceFile("block.ts", block.code, ts.ScriptTarget.Latest, true);
    const own = declaredNames(source);
    const header = [`// ${page}:${block.line}`];
    for (const { name, text } of pageImports) if (!own.has(name)) header.push(text);
    for (const [name, type] of Object.entries(CONTEXT[page] ?? {})) {
      if (!own.has(name)) header.push(`declare const ${name}: ${type};`);
    }
    const name = `${page.replace(/\W+/g, "_")}_${block.line}.ts`;
    writeFileSync(join(out, name), `${header.join("\n")}\n${block.code}\n`);
    snippets.set(name, { page, line: block.line, header: header.length });
    pageImports.push(...(importList(source) ?? []));
  }
}

writeFileSync(
  join(out, "tsconfig.json"),
  `${JSON.stringify(
    {
      extends: "../../tsconfig.json",
      compilerOptions: { moduleDetection: "force", noEmit: true },
      files: ["prelude.ts", "modules.d.ts", ...snippets.keys()],
      include: [],
    },
    null,
    2,
  )}\n`,
);

let output = "";
try {
  execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", out, "--pretty", "false"], {
    cwd: root,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
} catch (error) {
  output = `${error.stdout ?? ""}${error.stderr ?? ""}`;
  if (!output.trim()) throw error;
}

// tsc prints `path(line,col): error TSnnnn: message`, with continuation lines indented. Errors in
// the sources are `npm run typecheck`'s to report (CI runs it first): counted here, not listed.
const failing = new Set();
let elsewhere = 0;
let last = null; // the listed problem that continuation lines belong to
const add = (problem) => {
  problems.push(problem);
  last = problem;
};
for (const raw of output.split("\n")) {
  const m = /^(.+?)\((\d+),(\d+)\): error (TS\d+): (.*)$/.exec(raw);
  if (!m) {
    if (raw.trim() && /^\s/.test(raw)) {
      if (last) last.text += `\n    ${raw.trim()}`;
    } else if (raw.trim()) add({ page: "", line: 0, text: raw });
    continue;
  }
  const [, path, line, col, code, message] = m;
  const file = relative(out, join(root, path));
  const snippet = snippets.get(file);
  const text = `${col}: ${code} ${message}`;
  last = null;
  if (snippet) {
    failing.add(file);
    add({ page: snippet.page, line: snippet.line + Number(line) - 1 - snippet.header, text });
  } else if (file === "prelude.ts" || file === "modules.d.ts") {
    add({ page: `scripts/check-snippets.mjs (generated ${file})`, line: Number(line), text });
  } else {
    elsewhere++;
  }
}
if (elsewhere > 0) {
  console.warn(
    `check:snippets: ${elsewhere} type errors in the sources themselves (npm run typecheck lists them)`,
  );
}

const what = `${snippets.size} TypeScript blocks in ${pages.length} files`;
if (problems.length > 0) {
  problems.sort((a, b) => pages.indexOf(a.page) - pages.indexOf(b.page) || a.line - b.line);
  for (const p of problems) console.error(p.page ? `${p.page}:${p.line}:${p.text}` : p.text);
  console.error(
    `\ncheck:snippets: ${failing.size} of ${what} fail (generated files: ${relative(root, out)}/)`,
  );
  process.exit(1);
}
console.log(`check:snippets: ${what} typecheck`);
