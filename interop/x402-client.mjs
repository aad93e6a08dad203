// The official x402 client (@x402/fetch + @x402/evm ExactEvmScheme + viem) paying one request, for Centime's
// interop tests (tests/Centime.Agents.Tests). Usage:
//   X402_PK=0x<private key> node x402-client.mjs <url> <asset> <network> <maxAmountPerPayment>
// Spend controls allow exactly the given asset on the given network (a Centime coin is not a "default asset").
// Prints one JSON line {status, body, paymentResponse} and exits; exit code 2 on a thrown error.
import { wrapFetchWithPayment, x402Client, decodePaymentResponseHeader } from "@x402/fetch";
import { ExactEvmScheme } from "@x402/evm/exact/client";
import { privateKeyToAccount } from "viem/accounts";

const [url, asset, network, max] = process.argv.slice(2);
if (!url || !asset || !network || !max || !process.env.X402_PK) {
  console.error("usage: X402_PK=0x… node x402-client.mjs <url> <asset> <network> <maxAmountPerPayment>");
  process.exit(64);
}

try {
  const client = new x402Client()
    .register("eip155:*", new ExactEvmScheme(privateKeyToAccount(process.env.X402_PK)))
    .setSpendControls({ allowedAssets: [{ network, asset, maxAmountPerPayment: max }] });
  const res = await wrapFetchWithPayment(fetch, client)(url, { signal: AbortSignal.timeout(30_000) });
  const body = await res.text();
  const header = res.headers.get("PAYMENT-RESPONSE");
  console.log(JSON.stringify({ status: res.status, body, paymentResponse: header ? decodePaymentResponseHeader(header) : null }));
  process.exit(0);
} catch (err) {
  console.log(JSON.stringify({ error: String(err?.message ?? err) }));
  process.exit(2);
}
