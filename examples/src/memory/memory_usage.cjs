// What process.memoryUsage() reports, and which limit applies to what.
// MODE=buffer: allocate a 64 MiB Buffer, then fill it; print how each field moved (two JSON lines).
// MODE=heap: keep JavaScript objects until V8's heap limit (--max-old-space-size) stops it.
// MODE=buffers: keep 128 MiB of Buffers under the same small heap limit.
const MiB = 1024 * 1024;
const mode = process.env.MODE;

if (mode === 'buffer') {
  const grew = (from, to) => {
    const out = {};
    for (const key of ['rss', 'heapTotal', 'heapUsed', 'external', 'arrayBuffers']) {
      out[key] = Math.round((to[key] - from[key]) / MiB);
    }
    return out;
  };
  const before = process.memoryUsage();
  const buffer = Buffer.alloc(64 * MiB); // zeroed by calloc from fresh pages: none touched yet
  const allocated = process.memoryUsage();
  buffer.fill(1); // now every page is written
  const written = process.memoryUsage();
  console.log(JSON.stringify({ bufferMiB: buffer.length / MiB, allocated: grew(before, allocated) }));
  console.log(JSON.stringify({ bufferMiB: buffer.length / MiB, written: grew(before, written) }));
} else if (mode === 'heap') {
  const keep = [];
  for (let i = 0; ; i++) {
    keep.push({ i, text: 'x'.repeat(64) + i }); // objects and strings: on the V8 heap
    if (i % 10000 === 0) console.log(`heapUsed ${Math.round(process.memoryUsage().heapUsed / MiB)} MiB`);
  }
} else if (mode === 'buffers') {
  const keep = [];
  for (let i = 0; i < 128; i++) keep.push(Buffer.alloc(MiB, 1)); // outside the V8 heap
  const usage = process.memoryUsage();
  console.log(`kept ${keep.length} MiB of Buffers; heapUsed ${Math.round(usage.heapUsed / MiB)} MiB`);
}
