import { describe, expect, test } from 'vitest';
import { nextRouteProvider, routeNext } from './attempts.ts';

describe('provider fallback along a payout’s route', () => {
  const row = { provider: 'razorpayx' as const, route: ['razorpayx', 'krayon'], routeFallbackOn: ['imps_not_allowed'] };

  test('the next provider after a confirmed failure the rule lists', () => {
    expect(nextRouteProvider(row, { code: 'imps_not_allowed' })).toBe('krayon');
  });

  test('none for a code the rule does not list, for no failure, at the route’s end, or without a route', () => {
    expect(nextRouteProvider(row, { code: 'invalid_account' })).toBeNull();
    expect(nextRouteProvider(row, null)).toBeNull();
    expect(nextRouteProvider({ ...row, provider: 'krayon' }, { code: 'imps_not_allowed' })).toBeNull();
    expect(nextRouteProvider({ ...row, route: null, routeFallbackOn: null }, { code: 'imps_not_allowed' })).toBeNull();
  });

  test('before sending, the next provider whatever the fallback codes', () => {
    expect(routeNext({ provider: 'razorpayx', route: ['razorpayx', 'krayon'] })).toBe('krayon');
    expect(routeNext({ provider: 'krayon', route: ['razorpayx', 'krayon'] })).toBeNull();
    expect(routeNext({ provider: 'razorpayx', route: null })).toBeNull();
  });
});
