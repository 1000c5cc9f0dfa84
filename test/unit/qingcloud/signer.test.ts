import { describe, expect, it } from 'vitest';
import { canonicalQuery, formatTimestamp, hmacBase64, percentEncode, signRequest, stringToSign } from '../../../src/qingcloud/signer.js';

const vectorA: Record<string, string> = {
  count: '1',
  'vxnets.1': 'vxnet-0',
  zone: 'pek1',
  instance_type: 'small_b',
  signature_version: '1',
  signature_method: 'HmacSHA256',
  instance_name: 'demo',
  image_id: 'centos64x86a',
  login_mode: 'passwd',
  login_passwd: 'QingCloud20130712',
  version: '1',
  access_key_id: 'QYACCESSKEYIDEXAMPLE',
  action: 'RunInstances',
  time_stamp: '2013-08-27T14:30:10Z',
};

const vectorC: Record<string, string> = {
  action: 'DescribeVolumes',
  'volumes.1': 'vol-abc',
  'volumes.2': 'vol-def',
  search_word: 'my disk/ä+~*',
  signature_method: 'HmacSHA256',
  signature_version: '1',
  time_stamp: '2013-08-27T14:30:10Z',
  version: '1',
  zone: 'pek3a',
  access_key_id: 'QYACCESSKEYIDEXAMPLE',
};

describe('signer', () => {
  it('reproduces vector A (official docs) string to sign and signature', () => {
    const canonical = canonicalQuery(vectorA);
    expect(stringToSign('GET', '/iaas/', canonical)).toBe(
      'GET\n/iaas/\naccess_key_id=QYACCESSKEYIDEXAMPLE&action=RunInstances&count=1&image_id=centos64x86a&instance_name=demo&instance_type=small_b&login_mode=passwd&login_passwd=QingCloud20130712&signature_method=HmacSHA256&signature_version=1&time_stamp=2013-08-27T14%3A30%3A10Z&version=1&vxnets.1=vxnet-0&zone=pek1',
    );
    const signed = signRequest('GET', '/iaas/', vectorA, 'SECRETACCESSKEY');
    expect(signed.signature).toBe('32bseYy39DOlatuewpeuW5vpmW51sD1A/JdGynqSpP8=');
    expect(signed.encoded.endsWith('&signature=32bseYy39DOlatuewpeuW5vpmW51sD1A%2FJdGynqSpP8%3D')).toBe(true);
  });

  it('reproduces vector A signed with HmacSHA1', () => {
    const signed = signRequest('GET', '/iaas/', { ...vectorA, signature_method: 'HmacSHA1' }, 'SECRETACCESSKEY');
    expect(signed.signature).toBe('xKXNvEfYASmhWV9NXZVZqLI4C8A=');
  });

  it('reproduces vector A with zone pek3a', () => {
    expect(signRequest('GET', '/iaas/', { ...vectorA, zone: 'pek3a' }, 'SECRETACCESSKEY').signature).toBe(
      'byjccvWIvAftaq+oublemagH3bYAlDWxxLFAzAsyslw=',
    );
  });

  it('reproduces vector B (Go SDK TestSigner0): no version, no zone, path without trailing slash', () => {
    const params = {
      'instance.0': 'i-xxxxxxxx',
      action: 'DescribeInstance',
      verbose: '1',
      access_key_id: 'ENV_ACCESS_KEY_ID',
      signature_method: 'HmacSHA256',
      signature_version: '1',
      time_stamp: '0001-01-01T00:00:00Z',
    };
    expect(stringToSign('GET', '/iaas', canonicalQuery(params))).toBe(
      'GET\n/iaas\naccess_key_id=ENV_ACCESS_KEY_ID&action=DescribeInstance&instance.0=i-xxxxxxxx&signature_method=HmacSHA256&signature_version=1&time_stamp=0001-01-01T00%3A00%3A00Z&verbose=1',
    );
    expect(signRequest('GET', '/iaas', params, 'ENV_SECRET_ACCESS_KEY').encoded).toContain(
      'signature=ZHa2iQ8PeyP1ktMF9C%2BDjOQBl537ti9RnYZ1Qqr6KRg%3D',
    );
  });

  it('reproduces vector C: lists sort byte-wise and space, slash, plus, tilde, star and UTF-8 encode exactly', () => {
    expect(canonicalQuery(vectorC)).toBe(
      'access_key_id=QYACCESSKEYIDEXAMPLE&action=DescribeVolumes&search_word=my%20disk%2F%C3%A4%2B~%2A&signature_method=HmacSHA256&signature_version=1&time_stamp=2013-08-27T14%3A30%3A10Z&version=1&volumes.1=vol-abc&volumes.2=vol-def&zone=pek3a',
    );
    expect(signRequest('GET', '/iaas/', vectorC, 'SECRETACCESSKEY').signature).toBe('oXsPPEkoz/55C7PSEmAGAP5Aeqwa1Xgn+ged2zEJY8I=');
    expect(signRequest('POST', '/iaas/', vectorC, 'SECRETACCESSKEY').signature).toBe('p2ubfhFLg4ZK9/ymxFYaP6U4nQPozJhzIFQh/ZdPjB8=');
  });

  it('sorts list indexes lexicographically, not numerically', () => {
    expect(canonicalQuery({ 'volumes.2': 'b', 'volumes.10': 'c', 'volumes.1': 'a' })).toBe('volumes.1=a&volumes.10=c&volumes.2=b');
  });

  it('escapes the reserved characters with upper-case hex and keeps empty values', () => {
    expect(percentEncode("!'()*:/=&,+ ")).toBe('%21%27%28%29%2A%3A%2F%3D%26%2C%2B%20');
    expect(canonicalQuery({ a: '' })).toBe('a=');
  });

  it('never includes the signature parameter in what it signs', () => {
    expect(canonicalQuery({ a: '1', signature: 'x' })).toBe('a=1');
  });

  it('formats timestamps without fractional seconds', () => {
    expect(formatTimestamp(Date.UTC(2013, 7, 27, 14, 30, 10, 999))).toBe('2013-08-27T14:30:10Z');
    expect(hmacBase64('k', 'v')).toMatch(/=$/);
  });
});
