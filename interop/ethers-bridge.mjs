// Centime interop bridge: answers JSON requests with the real npm `ethers`, one per line on stdin, one reply
// per line on stdout, in order — so a test drives hundreds of cases through one Node process.
//
// Request:  {"id": 1, "op": "signTypedData", ...}
// Reply:    {"id": 1, "ok": true, ...}   or   {"id": 1, "ok": false, "error": "message"}
//
// Typed data is passed in eth_signTypedData_v4 form ({types, primaryType, domain, message}); ethers derives
// EIP712Domain itself, so it is removed from `types` before ethers sees them.
import { createInterface } from "node:readline";
import {
  Wallet, TypedDataEncoder, verifyTypedData, encryptKeystoreJson, decryptKeystoreJson, version,
} from "ethers";

function withoutDomainType(types) {
  const copy = { ...types };
  delete copy.EIP712Domain;
  return copy;
}

const ops = {
  async version() {
    return { version };
  },
  async hashTypedData({ typedData }) {
    const types = withoutDomainType(typedData.types);
    return {
      domainSeparator: TypedDataEncoder.hashDomain(typedData.domain),
      hashStruct: TypedDataEncoder.from(types).hash(typedData.message),
      digest: TypedDataEncoder.hash(typedData.domain, types, typedData.message),
      encodeType: TypedDataEncoder.from(types).encodeType(typedData.primaryType),
      primaryType: TypedDataEncoder.from(types).primaryType,
    };
  },
  async signTypedData({ privateKey, typedData }) {
    const wallet = new Wallet(privateKey);
    const types = withoutDomainType(typedData.types);
    const signature = await wallet.signTypedData(typedData.domain, types, typedData.message);
    const encoder = TypedDataEncoder.from(types);
    return {
      signature,
      address: wallet.address,
      digest: TypedDataEncoder.hash(typedData.domain, types, typedData.message),
      primaryType: encoder.primaryType,
      encodeType: encoder.encodeType(encoder.primaryType),
    };
  },
  async verifyTypedData({ typedData, signature }) {
    const types = withoutDomainType(typedData.types);
    return {
      address: verifyTypedData(typedData.domain, types, typedData.message, signature),
      digest: TypedDataEncoder.hash(typedData.domain, types, typedData.message),
    };
  },
  async encryptKeystore({ privateKey, password, scryptN }) {
    const wallet = new Wallet(privateKey);
    const json = await encryptKeystoreJson({ address: wallet.address, privateKey }, password, { scrypt: { N: scryptN ?? 1024 } });
    return { json, address: wallet.address };
  },
  async decryptKeystore({ json, password }) {
    const account = await decryptKeystoreJson(json, password);
    const wallet = await Wallet.fromEncryptedJson(json, password);
    return { address: account.address, privateKey: account.privateKey, walletAddress: wallet.address };
  },
};

const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of rl) {
  if (line.trim() === "") continue;
  let id = null;
  try {
    const request = JSON.parse(line);
    id = request.id ?? null;
    const op = ops[request.op];
    if (!op) throw new Error(`unknown op '${request.op}'`);
    const result = await op(request);
    process.stdout.write(JSON.stringify({ id, ok: true, ...result }) + "\n");
  } catch (e) {
    process.stdout.write(JSON.stringify({ id, ok: false, error: String(e?.shortMessage ?? e?.message ?? e) }) + "\n");
  }
}
