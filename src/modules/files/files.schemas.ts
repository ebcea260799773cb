/** TypeBox schemas of the files API, and the mapper from rows to response bodies. */
import { Type, type Static } from '@sinclair/typebox';
import type { FileRow } from './files.repository.js';
import { pagingFields } from '../../platform/http/paging.js';

export const FileKindSchema = Type.Union(
  [Type.Literal('poster'), Type.Literal('video'), Type.Literal('trailer'), Type.Literal('other')],
  {
    description:
      'poster (public image), video (follows its film access level), trailer (public short video) or other',
  },
);

export const FileSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    short_name: Type.String(),
    filename: Type.String(),
    size: Type.Integer(),
    content_type: Type.String(),
    sha256: Type.String(),
    kind: FileKindSchema,
    film_id: Type.Union([Type.String({ format: 'uuid' }), Type.Null()]),
    created_at: Type.String({ format: 'date-time' }),
  },
  { $id: 'File' },
);
export type FileDto = Static<typeof FileSchema>;

export const IdParams = Type.Object({ id: Type.String({ format: 'uuid' }) });

export const UploadQuery = Type.Object({
  kind: Type.Optional(FileKindSchema),
  film_id: Type.Optional(Type.String({ format: 'uuid' })),
});

export const ListQuery = Type.Object({
  film_id: Type.Optional(Type.String({ format: 'uuid' })),
  kind: Type.Optional(FileKindSchema),
  ...pagingFields(),
});

export const ContentQuery = Type.Object({
  expires: Type.Optional(Type.Integer({ minimum: 0, description: 'Signed link: expiry (Unix seconds).' })),
  signature: Type.Optional(Type.String({ maxLength: 200, description: 'Signed link: signature.' })),
});

export const LinkBody = Type.Object({
  expires_in: Type.Integer({
    minimum: 1,
    maximum: 604_800,
    default: 3600,
    description: 'Seconds the link stays valid (at most 7 days).',
  }),
});
export const LinkResponse = Type.Object({
  url: Type.String(),
  expires_at: Type.String({ format: 'date-time' }),
});

export function toDto(row: FileRow): FileDto {
  return {
    id: row.id,
    short_name: row.short_name,
    filename: row.filename,
    size: row.size,
    content_type: row.content_type,
    sha256: row.sha256,
    kind: row.kind,
    film_id: row.film_id,
    created_at: row.created_at.toISOString(),
  };
}
