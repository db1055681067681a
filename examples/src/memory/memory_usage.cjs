// What process.memoryUsage() reports, and which limit applies to what.
// MODE=buffer: allocate 64 MiB as a Buffer and print how each field moved (one JSON line).
// MODE=heap: keep JavaScript objects until V8's heap limit (--max-old-space-size) stops it.
// MODE=buffers: keep 128 MiB of Buffers under the same small heap limit.
const MiB = 1024 * 1024;
const mode = process.env.MODE;

if (mode === 'buffer') {
  const before = process.memoryUsage();
  const buffer = Buffer.alloc(64 * MiB, 1); // filled, so every page is touched
  const after = process.memoryUsage();
  const grew = {};
  for (const key of ['rss', 'heapTotal', 'heapUsed', 'external', 'arrayBuffers']) {
    grew[key] = Math.round((after[key] - before[key]) / MiB);
  }
  console.log(JSON.stringify({ bufferMiB: buffer.length / MiB, grewMiB: grew }));
} else if (mode === 'heap') {
  const keep = [];
  for (let i = 0; ; i++) {
    keep.push({ i, text: 'x'.repeat(64) + i }); // objects and strings: on the V8 heap
    if (i % 100000 === 0) console.log(`heapUsed ${Math.round(process.memoryUsage().heapUsed / MiB)} MiB`);
  }
} else if (mode === 'buffers') {
  const keep = [];
  for (let i = 0; i < 128; i++) keep.push(Buffer.alloc(MiB, 1)); // outside the V8 heap
  const usage = process.memoryUsage();
  console.log(`kept ${keep.length} MiB of Buffers; heapUsed ${Math.round(usage.heapUsed / MiB)} MiB`);
}
