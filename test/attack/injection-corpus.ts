/**
 * About 1,000 SQL-injection strings: classic payloads (quote breaking, comments, UNION, stacked
 * queries, `; DROP TABLE`, time delays), dialect-specific escapes (MySQL backslashes, PostgreSQL
 * `$$` dollar quoting, SQLite ATTACH), NUL bytes and look-alike Unicode quotes, each in several
 * shapes (bare, inside a word, with LIKE wildcards, doubled, padded, upper-cased, …).
 */

/** The payloads every variant is made from. */
const BASE: string[] = [
  "'",
  "''",
  '"',
  '`',
  "' OR '1'='1",
  "' OR 1=1 --",
  "' OR 1=1 #",
  "' OR 1=1 /*",
  '" OR "1"="1',
  "') OR ('1'='1",
  "')) OR (('1'='1",
  "admin'--",
  "'; DROP TABLE runs; --",
  "'; DROP TABLE experiments; --",
  "'); DROP TABLE tags; --",
  '1; DROP TABLE runs',
  '"; DROP TABLE "runs"; --',
  '`; DROP TABLE runs; --',
  "'; DELETE FROM runs; --",
  "'; UPDATE runs SET lifecycle_stage='deleted'; --",
  "'; INSERT INTO experiments (name) VALUES ('pwned'); --",
  "' UNION SELECT run_uuid, name FROM runs --",
  "' UNION ALL SELECT NULL, NULL, NULL --",
  "' UNION SELECT sqlite_version() --",
  "' AND 1=(SELECT COUNT(*) FROM runs) --",
  "' OR EXISTS(SELECT 1 FROM runs) --",
  "1' ORDER BY 1 --",
  "1' ORDER BY 100 --",
  "' AND SLEEP(3) --",
  "'; SELECT pg_sleep(3); --",
  "'||pg_sleep(3)||'",
  "' || (SELECT version()) || '",
  "'+(SELECT @@version)+'",
  "' AND 1=CONVERT(int, @@version) --",
  "'/**/OR/**/1=1/**/--",
  "'%20OR%201=1--",
  "\\'; DROP TABLE runs; --",
  "\\' OR 1=1 #",
  "\\\\' OR 1=1 --",
  '\\',
  '\\\\',
  "\\x27 OR 1=1",
  '%',
  '_',
  '%%',
  '!%',
  "a' ESCAPE '!",
  '$$; DROP TABLE runs; $$',
  '$tag$ OR 1=1 $tag$',
  "$1' OR '1'='1",
  "'; ATTACH DATABASE '/tmp/mlstore-pwn.db' AS pwn; --",
  "' INTO OUTFILE '/tmp/mlstore-pwn.txt' --",
  "' AND LOAD_FILE('/etc/passwd') --",
  "'; COPY runs TO '/tmp/mlstore-pwn.csv'; --",
  "'; EXEC xp_cmdshell('id'); --",
  'x\u0000\'; DROP TABLE runs; --',
  '\u0000',
  "’ OR ‘1’=‘1",
  'ʼ OR ʼ1ʼ=ʼ1',
  '＇ OR ＇1＇=＇1',
  '“ OR “1”=“1',
  "\u02bc; DROP TABLE runs; --",
  '-- comment',
  '/* comment */',
  '; --',
  "'\n OR 1=1 --",
  "'\r\n; DROP TABLE runs; --",
  "'\u2028OR 1=1",
  "' OR 'a' LIKE 'a",
  "' OR name LIKE '%",
  "0x27204f5220313d31",
  "CHAR(39)||'OR 1=1",
];

/** Shapes each payload takes: where it sits in a value and what surrounds it. */
const SHAPES: ((p: string) => string)[] = [
  (p) => p,
  (p) => `v${p}`,
  (p) => `${p}v`,
  (p) => `name ${p} end`,
  (p) => `%${p}%`,
  (p) => `_${p}_`,
  (p) => `${p}${p}`,
  (p) => p.toUpperCase(),
  (p) => p.toLowerCase(),
  (p) => `  ${p}  `,
  (p) => `${p}\t`,
  (p) => `日本${p}🐂`,
  (p) => `${'a'.repeat(200)}${p}`,
  (p) => p.replaceAll("'", "''"),
];

/** The corpus, deduplicated, in a fixed order. */
export function injectionCorpus(): string[] {
  const seen = new Set<string>();
  for (const shape of SHAPES) for (const base of BASE) seen.add(shape(base));
  return [...seen];
}
