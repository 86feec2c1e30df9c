const ignore = () => undefined;

/** Runs `work` now; a synchronous throw becomes a rejection, as it would a microtask later. */
function started(work: () => Promise<unknown>): Promise<unknown> {
  try {
    return work();
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * Steps run one after another, each once the previous one settled (a failed step does not stop the next;
 * its caller gets the rejection). With nothing in flight a step starts at once, not a microtask later:
 * a session's output is mostly one answer at a time.
 */
export function serialSteps(): (work: () => Promise<unknown>) => Promise<void> {
  let tail: Promise<unknown> = Promise.resolve();
  /** Steps started and not yet settled. */
  let pending = 0;
  const settled = () => {
    pending -= 1;
  };
  const failed = (error: unknown) => {
    pending -= 1;
    throw error;
  };
  return (work) => {
    const next = pending === 0 ? started(work) : tail.then(work);
    pending += 1;
    const done = next.then(settled, failed);
    tail = done.catch(ignore);
    return done;
  };
}
