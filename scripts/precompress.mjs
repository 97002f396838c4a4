// Writes .br (brotli, quality 11) and .gz (gzip -9) beside every .wasm, .js and .css file
// under a directory, so the server can send them compressed without compressing per request.
//   node scripts/precompress.mjs target/site/pkg
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';

const dir = process.argv[2];
if (!dir || !fs.existsSync(dir)) {
  console.error(`precompress: no directory ${dir}`);
  process.exit(2);
}
for (const name of fs.readdirSync(dir)) {
  if (!/\.(wasm|js|css)$/.test(name)) continue;
  const file = path.join(dir, name);
  const body = fs.readFileSync(file);
  const br = zlib.brotliCompressSync(body, {
    params: {
      [zlib.constants.BROTLI_PARAM_QUALITY]: 11,
      [zlib.constants.BROTLI_PARAM_SIZE_HINT]: body.length,
    },
  });
  fs.writeFileSync(`${file}.br`, br);
  fs.writeFileSync(`${file}.gz`, zlib.gzipSync(body, { level: 9 }));
  console.log(`precompress: ${name} ${body.length} → br ${br.length}`);
}
