import type { ToolCallContext, ToolCallObserver, ToolCallOutcome } from '../../src/observe/tool-call-observer.js';

/** Records what a plug-in (metrics, tracing, policy) would see, registered at startup like one. */
export class RecordingObserver implements ToolCallObserver {
  readonly befores: ToolCallContext[] = [];
  readonly afters: Array<{ call: ToolCallContext; outcome: ToolCallOutcome }> = [];
  before(call: ToolCallContext): void {
    this.befores.push(call);
  }
  after(call: ToolCallContext, outcome: ToolCallOutcome): void {
    this.afters.push({ call, outcome });
  }
}
