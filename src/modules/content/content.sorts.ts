/**
 * The columns each admin list sorts by, written once: the admin and content schemas build their
 * `sort` enums from it, the content service maps each to its SQL, and the admin app (web/) offers
 * exactly these. It imports nothing, so the admin app's bundle can take it as it is.
 */
export const SORT_COLUMNS = {
  films: ['title', 'rating', 'creation_date', 'created', 'modified', 'access', 'type'],
  genres: ['name', 'created', 'modified', 'film_count'],
  persons: ['full_name', 'created', 'modified', 'film_count'],
} as const;

export type SortColumn<K extends keyof typeof SORT_COLUMNS> = (typeof SORT_COLUMNS)[K][number];
