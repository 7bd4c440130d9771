/** A closed loop: `concurrency` workers, each starting its next request as soon as its last one ended. */
export async function closedLoop<T>(total: number, concurrency: number, request: () => Promise<T>): Promise<{ samples: T[]; wallMs: number }> {
  const samples: T[] = [];
  let started = 0;
  const begin = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, total) }, async () => {
      while (started < total) {
        started++;
        samples.push(await request());
      }
    }),
  );
  return { samples, wallMs: performance.now() - begin };
}
