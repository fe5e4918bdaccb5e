// Digital Bazaar's ecdsa-sd-2023 (npm: @digitalbazaar/ecdsa-sd-2023-cryptosuite with
// jsonld-signatures and @digitalbazaar/data-integrity), driven by interop.py, offline.
//
//   node dbsd.mjs keygen                 -> {publicKeyMultibase, secretKeyMultibase}
//   node dbsd.mjs sign   < {credential, publicKeyMultibase, secretKeyMultibase, mandatoryPointers, created}
//   node dbsd.mjs derive < {credential, selectivePointers}
//   node dbsd.mjs verify < {credential}  -> {verified, errors}
//   node dbsd.mjs versions               -> the versions of their packages that ran
//
// The request is JSON on stdin, the answer JSON on stdout. Nothing is fetched: JSON-LD contexts are
// the repository's own (vc/contexts, by vc/contexts/manifest.json, bytes checked against their
// pinned SHA-256) and a did:key (P-256 only) is resolved here, to the same document as
// vc.dids.did_key_document; any other URL is refused.
import {createHash} from 'node:crypto';
import {readFileSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';

import * as EcdsaMultikey from '@digitalbazaar/ecdsa-multikey';
import * as ecdsaSd2023Cryptosuite from '@digitalbazaar/ecdsa-sd-2023-cryptosuite';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import jsigs from 'jsonld-signatures';

const {createSignCryptosuite, createDiscloseCryptosuite, createVerifyCryptosuite} =
  ecdsaSd2023Cryptosuite;
const {purposes: {AssertionProofPurpose}} = jsigs;

const CONTEXTS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'vc', 'contexts');
const DID_V1 = 'https://www.w3.org/ns/did/v1';
const MULTIKEY_V1 = 'https://w3id.org/security/multikey/v1';

function loadContexts() {
  const manifest = JSON.parse(readFileSync(join(CONTEXTS, 'manifest.json'), 'utf8'));
  const contexts = new Map();
  for(const [url, {file, sha256}] of Object.entries(manifest.contexts)) {
    const bytes = readFileSync(join(CONTEXTS, file));
    const digest = createHash('sha256').update(bytes).digest('hex');
    if(digest !== sha256) {
      throw new Error(`${file}: SHA-256 ${digest}, the manifest pins ${sha256}`);
    }
    contexts.set(url, JSON.parse(bytes.toString('utf8')));
  }
  return contexts;
}

const contexts = loadContexts();

function didKeyDocument(did) {
  const multikey = did.slice('did:key:'.length);
  if(!/^zDn[1-9A-HJ-NP-Za-km-z]+$/.test(multikey)) {
    throw new Error(`Only P-256 did:key DIDs are resolved here, not ${did}`);
  }
  const id = `${did}#${multikey}`;
  const method = {id, type: 'Multikey', controller: did, publicKeyMultibase: multikey};
  return {
    method: {'@context': MULTIKEY_V1, ...method},
    document: {
      '@context': [DID_V1, MULTIKEY_V1],
      id: did,
      verificationMethod: [method],
      assertionMethod: [id],
      authentication: [id],
      capabilityDelegation: [id],
      capabilityInvocation: [id]
    }
  };
}

async function documentLoader(url) {
  if(contexts.has(url)) {
    return {contextUrl: null, documentUrl: url, document: structuredClone(contexts.get(url))};
  }
  if(url.startsWith('did:key:')) {
    const [did, fragment] = url.split('#');
    const {method, document} = didKeyDocument(did);
    if(fragment === undefined) {
      return {contextUrl: null, documentUrl: url, document};
    }
    if(method.id !== url) {
      throw new Error(`${url} names no key of ${did}`);
    }
    return {contextUrl: null, documentUrl: url, document: method};
  }
  throw new Error(`Offline: ${url} is not a shipped context nor a did:key`);
}

async function keygen() {
  const keyPair = await EcdsaMultikey.generate({curve: 'P-256'});
  const exported = await keyPair.export({publicKey: true, secretKey: true, includeContext: false});
  return {
    publicKeyMultibase: exported.publicKeyMultibase,
    secretKeyMultibase: exported.secretKeyMultibase
  };
}

async function sign({credential, publicKeyMultibase, secretKeyMultibase, mandatoryPointers, created}) {
  const controller = `did:key:${publicKeyMultibase}`;
  const keyPair = await EcdsaMultikey.from({
    '@context': MULTIKEY_V1,
    type: 'Multikey',
    id: `${controller}#${publicKeyMultibase}`,
    controller,
    publicKeyMultibase,
    secretKeyMultibase
  });
  const suite = new DataIntegrityProof({
    signer: keyPair.signer(),
    date: created,
    cryptosuite: createSignCryptosuite({mandatoryPointers})
  });
  return jsigs.sign(credential, {suite, purpose: new AssertionProofPurpose(), documentLoader});
}

async function derive({credential, selectivePointers}) {
  const suite = new DataIntegrityProof({
    cryptosuite: createDiscloseCryptosuite({selectivePointers})
  });
  return jsigs.derive(credential, {suite, purpose: new AssertionProofPurpose(), documentLoader});
}

async function verify({credential}) {
  const suite = new DataIntegrityProof({cryptosuite: createVerifyCryptosuite()});
  const result = await jsigs.verify(credential, {
    suite, purpose: new AssertionProofPurpose(), documentLoader
  });
  const errors = [];
  for(const error of [result.error, ...(result.results || []).map(r => r.error)]) {
    if(!error) {
      continue;
    }
    for(const one of error.errors || [error]) {
      errors.push(String(one.message || one));
    }
  }
  return {verified: result.verified, errors: [...new Set(errors)]};
}

// the exact versions that ran (package-lock.json pins them; `npm ci` installs them)
async function versions() {
  const names = [
    '@digitalbazaar/ecdsa-sd-2023-cryptosuite', '@digitalbazaar/di-sd-primitives',
    '@digitalbazaar/data-integrity', '@digitalbazaar/ecdsa-multikey', 'jsonld-signatures', 'jsonld'
  ];
  const here = dirname(fileURLToPath(import.meta.url));
  const found = {node: process.version};
  for(const name of names) {
    const file = join(here, 'node_modules', name, 'package.json');
    found[name] = JSON.parse(readFileSync(file, 'utf8')).version;
  }
  return found;
}

const COMMANDS = {keygen, sign, derive, verify, versions};

async function main() {
  const command = COMMANDS[process.argv[2]];
  if(!command) {
    throw new Error(`usage: node dbsd.mjs ${Object.keys(COMMANDS).join('|')} < request.json`);
  }
  const request = ['keygen', 'versions'].includes(process.argv[2]) ? {} : JSON.parse(readFileSync(0, 'utf8'));
  process.stdout.write(JSON.stringify(await command(request), null, 2) + '\n');
}

main().catch(error => {
  process.stderr.write(`${error.stack || error}\n`);
  process.exit(1);
});
