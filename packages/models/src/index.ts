// Public surface of @eff/models.
export {};
