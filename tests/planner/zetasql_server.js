// GoogleSQL analysis for tests: the ZetaSQL server of @fivetrandevelopers/zetasql, one JSON request
// per stdin line ({tables: [{name, columns: [[name, TYPE_KIND]]}], sql, params: [[name, TYPE_KIND]]}),
// one JSON answer per stdout line ({ok, error}). Started by tests/planner/googlesql.py.
const readline = require("readline");
const z = require("@fivetrandevelopers/zetasql");

const port = Number(process.argv[2]);
z.runServer(port).catch(() => {});
z.ZetaSQLClient.init(port);

function catalog(tables, language) {
  // Each table answers to its full name in one identifier (`p.d.t`), to `d.t`, and as a path.
  const root = { name: "root", builtinFunctionOptions: { languageOptions: language }, table: [], catalog: [] };
  const child = (parent, name) => {
    let found = parent.catalog.find((c) => c.name === name);
    if (!found) parent.catalog.push((found = { name, table: [], catalog: [] }));
    return found;
  };
  for (const t of tables) {
    const column = t.columns.map(([name, kind]) => ({ name, type: { typeKind: kind } }));
    const parts = t.name.split(".");
    root.table.push({ name: parts.join("."), column });
    root.table.push({ name: parts.slice(1).join("."), column });
    child(child(root, parts[0]), parts[1]).table.push({ name: parts[2], column });
    child(root, parts[1]).table.push({ name: parts[2], column });
  }
  return root;
}

(async () => {
  const client = z.ZetaSQLClient.getInstance();
  for (let i = 0; i < 100 && !(await client.testConnection()); i++) await client.delay(100);
  const language = (await new z.LanguageOptions().enableMaximumLanguageFeatures()).serialize();
  process.stdout.write(JSON.stringify({ ready: true }) + "\n");
  const lines = readline.createInterface({ input: process.stdin });
  for await (const line of lines) {
    const request = JSON.parse(line);
    let answer;
    try {
      await client.analyze({
        sqlStatement: request.sql,
        simpleCatalog: catalog(request.tables, language),
        options: {
          languageOptions: language,
          queryParameters: request.params.map(([name, kind]) => ({ name, type: { typeKind: kind } })),
          errorMessageMode: "ERROR_MESSAGE_ONE_LINE",
        },
      });
      answer = { ok: true, error: null };
    } catch (e) {
      answer = { ok: false, error: String(e.details || e.message) };
    }
    process.stdout.write(JSON.stringify(answer) + "\n");
  }
  z.terminateServer();
  process.exit(0);
})();
