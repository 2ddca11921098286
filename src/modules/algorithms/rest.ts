import type { RestApp } from '../../rest/api.js';

export function algorithmRoutes(_app: RestApp): void {}
