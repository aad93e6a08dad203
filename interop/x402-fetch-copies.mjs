// The official x402 client (@x402/fetch + @x402/evm ExactEvmScheme + viem) makes ONE payment, and its paid
// request is sent as N concurrent identical copies over keep-alive connections that were opened (warmed) before —
// the duplicate-delivery attack of issue 12 item 3. Usage:
//   X402_PK=0x<private key> node x402-fetch-copies.mjs <url> <asset> <network> <maxAmountPerPayment> <copies>
// The server must also serve GET <origin>/free (used to warm the connections) and GET <origin>/runs
// ({"runs":n}, how many times its paid handler ran). Prints one JSON line
// {statuses:{"200":k,…}, reused, runs, paymentResponses:[…decoded PAYMENT-RESPONSE of the 200s]} and exits;
// exit code 2 on a thrown error.
import http from "node:http";
import { wrapFetchWithPayment, x402Client, decodePaymentResponseHeader } from "@x402/fetch";
import { ExactEvmScheme } from "@x402/evm/exact/client";
import { privateKeyToAccount } from "viem/accounts";

const [url, asset, network, max, copiesText] = process.argv.slice(2);
const copies = Number(copiesText);
if (!url || !asset || !network || !max || !(copies > 0) || !process.env.X402_PK) {
  console.error("usage: X402_PK=0x… node x402-fetch-copies.mjs <url> <asset> <network> <maxAmountPerPayment> <copies>");
  process.exit(64);
}

const agent = new http.Agent({ keepAlive: true, maxSockets: copies, maxFreeSockets: copies });
const get = (target, headers = {}) =>
  new Promise((resolve, reject) => {
    const req = http.get(target, { agent, headers }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString(), reused: req.reusedSocket }));
    });
    req.on("error", reject);
  });

try {
  const origin = new URL(url).origin;
  // Warm: `copies` concurrent requests open `copies` sockets, which the agent keeps.
  await Promise.all(Array.from({ length: copies }, () => get(origin + "/free")));

  let results = null;
  // The wrapper's fetch: the 402 probe goes out as usual; the paid retry is captured and sent `copies` times at once.
  const duplicatingFetch = async (input, init) => {
    const request = new Request(input, init);
    const signature = request.headers.get("PAYMENT-SIGNATURE");
    if (!signature) {
      return fetch(request);
    }
    results = await Promise.all(Array.from({ length: copies }, () => get(request.url, { "PAYMENT-SIGNATURE": signature })));
    const first = results.find((r) => r.status === 200) ?? results[0];
    return new Response(first.body, { status: first.status, headers: Object.entries(first.headers).filter(([, v]) => typeof v === "string") });
  };

  const client = new x402Client()
    .register("eip155:*", new ExactEvmScheme(privateKeyToAccount(process.env.X402_PK)))
    .setSpendControls({ allowedAssets: [{ network, asset, maxAmountPerPayment: max }] });
  await wrapFetchWithPayment(duplicatingFetch, client)(url, { signal: AbortSignal.timeout(30_000) });
  if (results === null) {
    throw new Error("the client never sent a paid request");
  }

  const statuses = {};
  for (const r of results) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
  const runs = JSON.parse((await get(origin + "/runs")).body).runs;
  const paymentResponses = results
    .filter((r) => r.status === 200 && r.headers["payment-response"])
    .map((r) => decodePaymentResponseHeader(r.headers["payment-response"]));
  console.log(JSON.stringify({ statuses, reused: results.filter((r) => r.reused).length, runs, paymentResponses }));
  agent.destroy();
  process.exit(0);
} catch (err) {
  console.log(JSON.stringify({ error: String(err?.stack ?? err) }));
  process.exit(2);
}
