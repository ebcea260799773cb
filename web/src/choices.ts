/** Choice lists shared by the forms and filters; labels are translation keys. */
export const ACCESS_CHOICES = [
  { id: 'FREE', name: 'kino.access.FREE' },
  { id: 'PAID', name: 'kino.access.PAID' },
  { id: 'ARCHIVED', name: 'kino.access.ARCHIVED' },
];
export const TYPE_CHOICES = [
  { id: 'movie', name: 'kino.type.movie' },
  { id: 'tv_show', name: 'kino.type.tv_show' },
];
export const ROLE_CHOICES = [
  { id: 'actor', name: 'kino.role.actor' },
  { id: 'director', name: 'kino.role.director' },
  { id: 'writer', name: 'kino.role.writer' },
];
