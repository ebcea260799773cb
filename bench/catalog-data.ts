/**
 * A deterministic synthetic catalogue written straight into the read model (catalog.*), for the
 * catalog API benchmark: N films whose titles and descriptions draw on real (English and Russian)
 * and synthetic words, 25 genres, persons with roles, all three access levels.
 */
import { createHash } from 'node:crypto';
import type { Sql } from '../src/ports/sql.js';
// The same seeded PRNG as the catalogue generator, so every run builds the same catalogue.
import { prng } from '../src/modules/content/index.js';

const EN = `star war love night day dark light city king queen man woman girl boy dead life time road
house dream fire ice blood storm shadow ghost river sea sky earth moon sun heart secret last first
lost home summer winter spring autumn black white red blue golden silver iron glass stone wild
game hunter killer soldier doctor detective angel devil god hero legend empire kingdom island
mountain desert forest garden street bridge train ship station escape return revenge rise fall
battle mission journey promise memory silence voice music dance song party wedding family friend
brother sister mother father child story tale truth lie crime justice money power world future
past machine robot planet galaxy space alien monster zombie vampire wolf dragon tiger eagle snake
horse matrix code signal zero final deadly broken hidden endless perfect beautiful strange
crazy lucky happy lonely secret bond spy agent paris london moscow tokyo berlin rome york`.split(/\s+/);
const RU = `звезда война любовь ночь день тьма свет город король королева мужчина женщина девочка
мальчик жизнь время дорога дом мечта огонь лёд кровь буря тень призрак река море небо земля луна
солнце сердце тайна последний первый лето зима весна осень чёрный белый красный золотой железный
игра охотник солдат доктор сыщик ангел герой легенда империя остров гора пустыня лес сад улица
мост поезд корабль вокзал побег месть битва путешествие обещание память тишина голос музыка
танец песня свадьба семья друг брат сестра мать отец ребёнок история правда ложь преступление
деньги власть мир будущее прошлое машина планета галактика космос чудовище волк дракон`.split(/\s+/);
const STOP = ['the', 'a', 'of', 'and', 'in', 'to', 'with', 'и', 'в', 'на', 'о'];
const GENRES = `Action Adventure Animation Biography Comedy Crime Documentary Drama Family Fantasy
Film-Noir History Horror Music Musical Mystery Romance Sci-Fi Sport Thriller War Western Short
Reality-TV Talk-Show`.split(/\s+/);
const FIRST = `John Mary James Anna Robert Linda Michael Olga Ivan Sergey Elena Natalia Peter Paul
George Harrison Sean Emma Tom Kate Nikita Andrei Dmitry Maria Alexei Irina Steven Martin Quentin
Sofia`.split(/\s+/);
const LAST = `Smith Johnson Lucas Ford Connery Watson Hanks Winslet Mikhalkov Tarkovsky Ivanov
Petrov Sidorov Spielberg Scorsese Tarantino Coppola Kubrick Nolan Bigelow Lynch Fincher Scott
Cameron Jackson Burton Allen Eastwood Hitchcock Kurosawa Bergman Fellini Godard Truffaut Wilder`.split(/\s+/);

const uuidOf = (kind: string, i: number) => {
  const h = createHash('md5').update(`${kind}:${i}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
};

/** Synthetic words from syllables, so the vocabulary is catalogue-sized, not list-sized. */
function syntheticWords(random: () => number, n: number): string[] {
  const syl = [
    'ka',
    'ro',
    'mi',
    'tan',
    'vel',
    'dor',
    'ish',
    'an',
    'ul',
    'ber',
    'zo',
    'que',
    'lin',
    'sar',
    'mo',
    'th',
  ];
  const ru = ['ка', 'ро', 'ми', 'тан', 'вел', 'дор', 'иш', 'ан', 'ул', 'бер', 'зо', 'лин', 'сар', 'мо'];
  const out = new Set<string>();
  while (out.size < n) {
    const parts = random() < 0.7 ? syl : ru;
    const len = 2 + Math.floor(random() * 3);
    let w = '';
    for (let i = 0; i < len; i++) w += parts[Math.floor(random() * parts.length)];
    out.add(w);
  }
  return [...out];
}

export interface CatalogueSize {
  films: number;
  persons: number;
}

export interface Catalogue {
  filmIds: string[];
  personIds: string[];
  genreIds: string[];
  /** Search queries of several kinds (common word, phrase, prefix, typo, Russian, layout…). */
  queries: string[];
}

/** Builds the catalogue ids and queries without writing (to benchmark an existing database). */
export function describeCatalogue(size: CatalogueSize): Catalogue {
  return {
    filmIds: Array.from({ length: size.films }, (_, i) => uuidOf('film', i)),
    personIds: Array.from({ length: size.persons }, (_, i) => uuidOf('person', i)),
    genreIds: GENRES.map((_, i) => uuidOf('genre', i)),
    queries: [
      'star wars',
      'dark night',
      'любовь',
      'звёздная война',
      'matrix',
      'galaxy escape',
      'bon',
      'detec',
      'галакт',
      'lucas',
      'tarantino',
      'mikhalkov',
      'detectve',
      'revnge',
      'ghbdtn',
      'Ыефк',
      'golden dragon of the sea',
      'sci-fi',
      'comedy',
      'kubrick',
    ],
  };
}

/** Writes the catalogue (into empty catalog.* tables) in batches; resolves to its description. */
export async function fillCatalogue(
  sql: Sql,
  size: CatalogueSize,
  progress: (done: number, total: number) => void = () => {},
): Promise<Catalogue> {
  const random = prng(20260301);
  const catalogue = describeCatalogue(size);
  const vocabulary = [...EN, ...RU, ...syntheticWords(random, 8000)];
  // Half the words come from the real-word lists (each in a few percent of films, like common
  // words in real titles), half from the much larger synthetic vocabulary.
  const real = EN.length + RU.length;
  const word = () =>
    random() < 0.5
      ? vocabulary[Math.floor(random() * real)]!
      : vocabulary[real + Math.floor(random() * (vocabulary.length - real))]!;
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)]!;

  await sql.execute('INSERT INTO catalog.genre (id, name) SELECT * FROM unnest($1::uuid[], $2::text[])', [
    catalogue.genreIds,
    GENRES,
  ]);
  const synthetic = vocabulary.slice(EN.length + RU.length);
  const surname = () =>
    random() < 0.3 ? pick(LAST) : pick(synthetic).replace(/^./u, (c) => c.toUpperCase());
  const personNames = catalogue.personIds.map(() => `${pick(FIRST)} ${surname()}`);
  const personFilms = catalogue.personIds.map(() => [] as unknown[]);

  const batch = 2000;
  for (let start = 0; start < size.films; start += batch) {
    const rows = {
      id: [] as string[],
      title: [] as string[],
      description: [] as string[],
      rating: [] as (number | null)[],
      access: [] as string[],
      genreIds: [] as string[],
      personIds: [] as string[],
      genreNames: [] as string[],
      personNames: [] as string[],
      document: [] as string[],
    };
    for (let i = start; i < Math.min(size.films, start + batch); i++) {
      const id = catalogue.filmIds[i]!;
      const nTitle = 1 + Math.floor(random() * 3);
      const titleWords = Array.from({ length: nTitle }, word);
      if (random() < 0.2) titleWords.splice(1, 0, pick(STOP));
      const title = titleWords.map((w, k) => (k === 0 ? w[0]!.toUpperCase() + w.slice(1) : w)).join(' ');
      const description =
        Array.from({ length: 12 + Math.floor(random() * 10) }, () =>
          random() < 0.25 ? pick(STOP) : word(),
        ).join(' ') + '.';
      const rating = random() < 0.03 ? null : Math.round((1 + random() * 9) * 10) / 10;
      const roll = random();
      const access = roll < 0.6 ? 'FREE' : roll < 0.9 ? 'PAID' : 'ARCHIVED';
      const genreIdx = [
        ...new Set(
          Array.from({ length: 1 + Math.floor(random() * 3) }, () => Math.floor(random() * GENRES.length)),
        ),
      ];
      const cast = [...new Set(Array.from({ length: 5 }, () => Math.floor(random() * size.persons)))];
      const roles = cast.map((p, k) => ({ p, role: k === 0 ? 'director' : k === 1 ? 'writer' : 'actor' }));
      const ref = (p: number) => ({ uuid: catalogue.personIds[p]!, full_name: personNames[p]! });
      const document = {
        uuid: id,
        title,
        imdb_rating: rating,
        description,
        type: access,
        genre: genreIdx.map((g) => ({ uuid: catalogue.genreIds[g]!, name: GENRES[g]! })),
        actors: roles.filter((r) => r.role === 'actor').map((r) => ref(r.p)),
        writers: roles.filter((r) => r.role === 'writer').map((r) => ref(r.p)),
        directors: roles.filter((r) => r.role === 'director').map((r) => ref(r.p)),
      };
      for (const r of roles)
        personFilms[r.p]!.push({ uuid: id, roles: [r.role], title, imdb_rating: rating, access });
      rows.id.push(id);
      rows.title.push(title);
      rows.description.push(description);
      rows.rating.push(rating);
      rows.access.push(access);
      rows.genreIds.push(`{${genreIdx.map((g) => catalogue.genreIds[g]).join(',')}}`);
      rows.personIds.push(`{${cast.map((p) => catalogue.personIds[p]).join(',')}}`);
      rows.genreNames.push(genreIdx.map((g) => GENRES[g]).join(' '));
      rows.personNames.push(cast.map((p) => personNames[p]).join(' '));
      rows.document.push(JSON.stringify(document));
    }
    await sql.execute(
      `INSERT INTO catalog.film (id, title, description, imdb_rating, access, film_type, genre_ids, person_ids,
         genre_names, person_names, document, version)
       SELECT id, title, description, rating, access, 'movie', genre_ids::uuid[], person_ids::uuid[],
         genre_names, person_names, document::jsonb, 1
       FROM unnest($1::uuid[], $2::text[], $3::text[], $4::float8[], $5::text[], $6::text[], $7::text[],
         $8::text[], $9::text[], $10::text[])
         AS t(id, title, description, rating, access, genre_ids, person_ids, genre_names, person_names, document)`,
      [
        rows.id,
        rows.title,
        rows.description,
        rows.rating,
        rows.access,
        rows.genreIds,
        rows.personIds,
        rows.genreNames,
        rows.personNames,
        rows.document,
      ],
    );
    progress(Math.min(size.films, start + batch), size.films);
  }
  for (let start = 0; start < size.persons; start += batch) {
    const end = Math.min(size.persons, start + batch);
    await sql.execute(
      `INSERT INTO catalog.person (id, full_name, films)
       SELECT id, full_name, films::jsonb FROM unnest($1::uuid[], $2::text[], $3::text[]) AS t(id, full_name, films)`,
      [
        catalogue.personIds.slice(start, end),
        personNames.slice(start, end),
        personFilms.slice(start, end).map((f) => JSON.stringify(f)),
      ],
    );
  }
  for (const statement of [
    'VACUUM ANALYZE catalog.film',
    'VACUUM ANALYZE catalog.person',
    'ANALYZE catalog.search_word',
    'ANALYZE catalog.genre',
  ])
    await sql.execute(statement);
  return catalogue;
}
