// Checks a Centime signed disclosure report with the real npm `ethers`, independently of the C# verifier
// (docs/transparency.md §3): reportHash = keccak256(report bytes), signature = personal_sign(reportHash).
//
// stdin: the report file, exactly as the node wrote it: {"report":<report bytes>,"signature":{…}}
// stdout: {"reportHash":"0x…","hashMatches":true|false,"recovered":"0x…","signer":"0x…"}
import { keccak256, toUtf8Bytes, getBytes, verifyMessage } from "ethers";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const file = Buffer.concat(chunks).toString("utf8");

const head = '{"report":';
const tail = ',"signature":{'; // the block is the file's last member (the block's own "signature" is a string)
if (!file.startsWith(head) || file.lastIndexOf(tail) < 0) throw new Error("not a signed report");
const report = file.slice(head.length, file.lastIndexOf(tail));
const { signature } = JSON.parse(file);

const reportHash = keccak256(toUtf8Bytes(report));
const recovered = verifyMessage(getBytes(signature.reportHash), signature.signature);
process.stdout.write(JSON.stringify({ reportHash, hashMatches: reportHash === signature.reportHash, recovered, signer: signature.signer }) + "\n");
