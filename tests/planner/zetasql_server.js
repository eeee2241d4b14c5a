// GoogleSQL analysis for tests: the ZetaSQL server of @fivetrandevelopers/zetasql, one JSON request
// per stdin line, one JSON answer per stdout line. Started by tests/planner/googlesql.py.
//   {tables: [{name, columns: [[name, TYPE_KIND]]}], sql, params: [[name, TYPE_KIND]]} → {ok, error}
//   {register: tables} → {ok, id}: the catalog is built and registered with the server once
//   {catalog: id, queries: [{sql, params}]} → {answers: [{ok, error}]}: many queries on a registered one
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
  const analyze = async (sql, params, where) => {
    try {
      await client.analyze({
        sqlStatement: sql,
        ...where,
        options: {
          languageOptions: language,
          queryParameters: params.map(([name, kind]) => ({ name, type: { typeKind: kind } })),
          errorMessageMode: "ERROR_MESSAGE_ONE_LINE",
        },
      });
      return { ok: true, error: null };
    } catch (e) {
      return { ok: false, error: String(e.details || e.message) };
    }
  };
  for await (const line of lines) {
    const request = JSON.parse(line);
    let answer;
    if (request.register) {
      try {
        const registered = await client.registerCatalog({ simpleCatalog: catalog(request.register, language) });
        answer = { ok: true, id: String(registered.registeredId) };
      } catch (e) {
        answer = { ok: false, error: String(e.details || e.message) };
      }
    } else if (request.queries) {
      const where = { registeredCatalogId: request.catalog };
      const answers = [];
      for (const q of request.queries) answers.push(await analyze(q.sql, q.params, where));
      answer = { answers };
    } else {
      answer = await analyze(request.sql, request.params, { simpleCatalog: catalog(request.tables, language) });
    }
    process.stdout.write(JSON.stringify(answer) + "\n");
  }
  z.terminateServer();
  process.exit(0);
})();
