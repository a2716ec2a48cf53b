// The baseline for `conn test`: the same requests with undici and nothing
// else. Usage: node bench/bare-undici.js <url> <count> <concurrency>
import { request } from 'undici';

const [url, count = '1', concurrency = '8'] = process.argv.slice(2);
let next = 0;
async function worker() {
  while (next < Number(count)) {
    next++;
    const response = await request(url, { headers: { authorization: 'Bearer bench-token' } });
    await response.body.text();
    if (response.statusCode !== 200) throw new Error(`status ${response.statusCode}`);
  }
}
await Promise.all(Array.from({ length: Number(concurrency) }, worker));
