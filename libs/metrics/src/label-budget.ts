/** The label value every value past the budget shares. */
export const OVERFLOW_LABEL = 'other';

/**
 * Keeps a label's cardinality bounded: the first `max` distinct values are kept as they are, later ones
 * become `other`. Tenants and servers come and go, but a process's series set must not grow without end.
 */
export class LabelBudget {
  private readonly seen = new Set<string>();

  constructor(private readonly max: number) {}

  label(value: string): string {
    if (this.seen.has(value)) return value;
    if (this.seen.size >= this.max) return OVERFLOW_LABEL;
    this.seen.add(value);
    return value;
  }
}
