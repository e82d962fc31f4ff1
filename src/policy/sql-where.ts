/**
 * A WHERE clause built one optional filter at a time: a filter whose value is undefined adds
 * nothing (the audit log's and the query log's listings take any of from, to, who...).
 */
export class Where {
  readonly conditions: string[] = [];
  readonly args: unknown[] = [];

  /** `condition` with one `?` for `value`, unless `value` is undefined. */
  add(condition: string, value: unknown): this {
    if (value !== undefined) {
      this.conditions.push(condition);
      this.args.push(value);
    }
    return this;
  }

  /** `WHERE a AND b`, each condition's columns prefixed with `table.` when given; '' without any. */
  sql(table?: string): string {
    if (this.conditions.length === 0) return '';
    return `WHERE ${this.conditions.map((c) => (table ? `${table}.${c}` : c)).join(' AND ')}`;
  }
}
