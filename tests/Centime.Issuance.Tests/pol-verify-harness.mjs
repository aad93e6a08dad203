// Test harness for src/Centime.Issuance/wwwroot/pol-verify.js, driven by PolVerifyJsTests.
// stdin: {"proof": <proof JSON>, "root": {"hash": "0x…", "total": "…"}}, or an array of those.
// stdout: the verdict {"valid": …, "code": …, "reason": …}, or an array of verdicts in the same order.
import { verifyLiabilityProof } from '../../src/Centime.Issuance/wwwroot/pol-verify.js';

const chunks = [];
for await (const chunk of process.stdin) {
  chunks.push(chunk);
}
const input = JSON.parse(Buffer.concat(chunks).toString('utf8'));
const verify = (item) => verifyLiabilityProof(item.proof, item.root);
const output = Array.isArray(input) ? await Promise.all(input.map(verify)) : await verify(input);
process.stdout.write(JSON.stringify(output));
