// What counts as SQL text: a string or template literal that begins (after whitespace) with a
// statement keyword followed by the words that make it a statement, in any letter case. The
// second part keeps prose ("Reset your password", "Delete a file") and single words ('delete',
// 'set', an HTTP method) out. The lint rule and scripts/sql-outside-repositories.mjs share it.

/** Stands for each `${…}` of a template literal. */
const HOLE = '\u241f';
const NAME = String.raw`[\w."$${HOLE}]+`;
const STATEMENT = [
  String.raw`SELECT\s+(DISTINCT\s+|ALL\s+)?(\*|\d|\$\d|\(|${HOLE}|${NAME}\s*\(|[\s\S]*\bFROM\s)`,
  String.raw`INSERT\s+INTO\s`,
  String.raw`UPDATE\s+(ONLY\s+)?${NAME}(\s+(AS\s+)?\w+)?\s+SET\s`,
  String.raw`DELETE\s+FROM\s`,
  String.raw`WITH\s+(RECURSIVE\s+)?${NAME}(\s*\([^)]*\))?\s+AS\s+((NOT\s+)?MATERIALIZED\s+)?\(`,
  String.raw`(CREATE|ALTER|DROP)\s+(OR\s+REPLACE\s+)?(UNIQUE\s+)?(TEMP(ORARY)?\s+|UNLOGGED\s+)?` +
    String.raw`(TABLE|INDEX|SCHEMA|EXTENSION|TYPE|VIEW|MATERIALIZED\s+VIEW|FUNCTION|PROCEDURE|TRIGGER|` +
    String.raw`SEQUENCE|ROLE|USER|DATABASE|POLICY|DOMAIN|PUBLICATION|SUBSCRIPTION|STATISTICS)\b`,
  String.raw`TRUNCATE\s+(TABLE\s+)?${NAME}\s*(,|;|$|RESTART\b|CONTINUE\b|CASCADE\b)`,
  String.raw`LOCK\s+(TABLE\s+${NAME}|${NAME}\s+IN\s+[\w\s]+MODE\b)`,
  String.raw`COPY\s+(\(|${NAME}\s*(\([^)]*\)\s*)?(FROM|TO)\s)`,
  String.raw`SET\s+((LOCAL|SESSION)\s+[\w"]|(CONSTRAINTS|TRANSACTION|ROLE)\b|[\w.]+\s*=)`,
  String.raw`SET\s+(search_path|time\s+zone|timezone|statement_timeout|lock_timeout|client_encoding)\s+TO\s`,
  String.raw`RESET\s+(ALL|ROLE|\w+_\w+)\s*;?\s*$`,
  String.raw`(VACUUM(\s+(FULL|FREEZE|VERBOSE|ANALYZE)\b)*|ANALYZE(\s+VERBOSE\b)?)\s*(\(|${NAME}\s*(;|\(|$)|;|$)`,
  String.raw`(BEGIN|COMMIT|ROLLBACK|START\s+TRANSACTION|SAVEPOINT\s+\w+|RELEASE\s+SAVEPOINT\s+\w+)\s*;?\s*$`,
  String.raw`(REFRESH\s+MATERIALIZED\s+VIEW|MERGE\s+INTO|EXPLAIN\s+(\(|SELECT|ANALYZE|INSERT|UPDATE|DELETE|WITH))\b`,
  String.raw`(GRANT|REVOKE)\s+[\w\s,]+\s+ON\s`,
  String.raw`(LISTEN|UNLISTEN|NOTIFY)\s+\w+\s*(,|;|$)`,
  String.raw`DO\s+\$`,
];

export const SQL_TEXT = new RegExp(String.raw`^\s*(${STATEMENT.join('|')})`, 'i');

/** The text of a string or template literal node (ESTree), each `${…}` as HOLE; else null. */
export function literalText(node) {
  if (node.type === 'Literal' && typeof node.value === 'string') return node.value;
  if (node.type === 'TemplateLiteral')
    return node.quasis.map((q) => q.value.cooked ?? q.value.raw).join(HOLE);
  return null;
}

export function isSqlText(text) {
  return SQL_TEXT.test(text);
}
