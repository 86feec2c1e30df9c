/** Metadata key under which a handler's route-table entry is kept (for the guard and interceptors). */
export const ADMIN_ROUTE = 'airlock:admin-route';
