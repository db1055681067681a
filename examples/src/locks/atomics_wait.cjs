// A Node.js deadlock with one JavaScript thread of our own: the main thread blocks in
// Atomics.wait until a worker says it is ready, and the worker gets ready only when a message
// arrives that the main thread posts from a timer callback. A blocked thread runs no
// callbacks, so the timer never fires and neither thread moves again.
// Run: MODE=deadlock node atomics_wait.cjs (hangs) or MODE=fixed node atomics_wait.cjs.
const { Worker } = require('node:worker_threads');

const ready = new Int32Array(new SharedArrayBuffer(4)); // 0: not yet, 1: ready
const worker = new Worker(
  `const { parentPort, workerData: ready } = require('node:worker_threads');
   parentPort.once('message', () => {
     Atomics.store(ready, 0, 1);
     Atomics.notify(ready, 0);
   });`,
  { eval: true, workerData: ready },
);

if (process.env.MODE === 'fixed') {
  worker.postMessage('config'); // sent now: the worker gets it while we block
} else {
  setTimeout(() => worker.postMessage('config'), 0); // needs the main thread free to run
}
const outcome = Atomics.wait(ready, 0, 0); // no timeout: sleep until notified
console.log(`main thread: Atomics.wait returned ${outcome}`);
worker.terminate();
