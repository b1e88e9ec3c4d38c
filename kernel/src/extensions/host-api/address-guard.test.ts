import { describe, expect, it } from 'vitest';
import { checkAddress } from './address-guard.js';

describe('checkAddress', () => {
  it.each([
    ['8.8.8.8'],
    ['1.1.1.1'],
    ['2606:4700:4700::1111'],
    ['64:ff9b::808:808'],
    ['172.15.255.255'],
    ['172.32.0.1'],
  ])('allows the public address %s', (address) => {
    expect(checkAddress(address, { allowPrivateNetwork: false })).toEqual({ allowed: true, description: 'a public address' });
  });

  it.each([
    ['127.0.0.1', 'a loopback address (127.0.0.0/8)'],
    ['127.255.0.9', 'a loopback address (127.0.0.0/8)'],
    ['::1', 'a loopback address (::1)'],
    ['10.0.0.1', 'a private address (10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16)'],
    ['172.16.5.4', 'a private address (10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16)'],
    ['172.31.255.255', 'a private address (10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16)'],
    ['192.168.1.1', 'a private address (10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16)'],
    ['169.254.1.1', 'a link-local address (169.254.0.0/16)'],
    ['fe80::1', 'a link-local address (fe80::/10)'],
    ['fc00::1', 'a unique local address (fc00::/7)'],
    ['fd12:3456::1', 'a unique local address (fc00::/7)'],
    ['100.64.0.1', 'a carrier-grade NAT address (100.64.0.0/10)'],
    ['100.127.255.254', 'a carrier-grade NAT address (100.64.0.0/10)'],
    ['192.0.2.1', 'a reserved or documentation address'],
    ['::ffff:10.0.0.1', 'a private address (10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16), embedded in IPv6 ::ffff:a00:1'],
    ['::ffff:7f00:1', 'a loopback address (127.0.0.0/8), embedded in IPv6 ::ffff:7f00:1'],
    ['::7f00:1', 'a loopback address (127.0.0.0/8), embedded in IPv6 ::7f00:1'],
    ['64:ff9b::a9fe:101', 'a link-local address (169.254.0.0/16), embedded in IPv6 64:ff9b::a9fe:101'],
    ['2002:c0a8:101::1', 'a private address (10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16), embedded in IPv6 2002:c0a8:101::1'],
    ['2001::1', 'a Teredo tunnel address (2001::/32)'],
  ])('blocks %s as %s unless private networks are allowed', (address, description) => {
    expect(checkAddress(address, { allowPrivateNetwork: false })).toEqual({ allowed: false, description });
    expect(checkAddress(address, { allowPrivateNetwork: true }).allowed).toBe(true);
  });

  it.each([
    ['169.254.169.254', 'a cloud metadata service address'],
    ['::ffff:169.254.169.254', 'a cloud metadata service address'],
    ['fd00:ec2::254', 'a cloud metadata service address'],
    ['100.100.100.200', 'a cloud metadata service address'],
    ['0.0.0.0', 'an unspecified address (0.0.0.0/8)'],
    ['::', 'an unspecified address (::)'],
    ['224.0.0.1', 'a multicast address (224.0.0.0/4)'],
    ['ff02::1', 'a multicast address (ff00::/8)'],
    ['255.255.255.255', 'the broadcast address'],
  ])('always blocks %s', (address, description) => {
    expect(checkAddress(address, { allowPrivateNetwork: true })).toEqual({ allowed: false, description });
  });

  it('rejects text that is not an address', () => {
    expect(checkAddress('localhost', { allowPrivateNetwork: true })).toEqual({ allowed: false, description: 'not a valid IP address' });
  });
});
