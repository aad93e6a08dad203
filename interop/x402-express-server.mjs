// The official x402 resource server (@x402/express + @x402/evm ExactEvmScheme) using Centime's facilitator
// over HTTP (@x402/core HTTPFacilitatorClient), for Centime's interop tests. Usage:
//   node x402-express-server.mjs <facilitatorUrl> <network> <asset> <amount> <payTo> <eip712Name> <eip712Version> [port]
// Binds 127.0.0.1 (port 0 = any free port) and prints {"port":N} once listening. Serves GET /paid (priced) and
// GET /free, and GET /runs ({"runs":n}: how many times the paid handler ran). Exits when stdin closes (the test process ended) or after 120 s, whichever comes first.
import express from "express";
import { paymentMiddleware, x402ResourceServer } from "@x402/express";
import { ExactEvmScheme } from "@x402/evm/exact/server";
import { HTTPFacilitatorClient } from "@x402/core/server";

const [facilitatorUrl, network, asset, amount, payTo, name, version, port = "0"] = process.argv.slice(2);
if (!version) {
  console.error("usage: node x402-express-server.mjs <facilitatorUrl> <network> <asset> <amount> <payTo> <name> <version> [port]");
  process.exit(64);
}

const facilitator = new HTTPFacilitatorClient({ url: facilitatorUrl });
const server = new x402ResourceServer(facilitator).register(network, new ExactEvmScheme());
const app = express();
app.use(
  paymentMiddleware(
    {
      "GET /paid": {
        accepts: { scheme: "exact", network, payTo, price: { amount, asset, extra: { name, version } }, maxTimeoutSeconds: 60 },
        description: "A paid answer from an express server settled on Centime",
        mimeType: "application/json",
      },
    },
    server,
  ),
);
let runs = 0;
app.get("/paid", (_req, res) => {
  runs++;
  res.json({ answer: 42, from: "express" });
});
app.get("/free", (_req, res) => res.json({ free: true }));
app.get("/runs", (_req, res) => res.json({ runs }));

const listener = app.listen(Number(port), "127.0.0.1", () => {
  console.log(JSON.stringify({ port: listener.address().port }));
});
const stop = () => {
  listener.close();
  process.exit(0);
};
process.stdin.on("end", stop);
process.stdin.on("close", stop);
process.stdin.resume();
setTimeout(stop, 120_000).unref();
