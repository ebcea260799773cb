// The baseline every scenario is compared with: a bare Fastify route returning a small JSON
// document of the size of a film detail, on the same machine, in the same run.
import Fastify from 'fastify';

const app = Fastify({ logger: false });
const doc = {
  uuid: '3d825f60-9fff-4dfe-b294-1a45fa1e115d',
  title: 'Star Wars: Episode IV - A New Hope',
  imdb_rating: 8.6,
  description:
    'Luke Skywalker joins forces with a Jedi Knight, a cocky pilot, a Wookiee and two droids to save the galaxy.',
  type: 'FREE',
  genre: [{ uuid: '120a21cf-9097-479e-904a-13dd7198c1dd', name: 'Adventure' }],
  actors: [{ uuid: '26e83050-29ef-4163-a99d-b546cac208f8', full_name: 'Mark Hamill' }],
  writers: [{ uuid: 'a5a8f573-3cee-4ccc-8a2b-91cb9f55250a', full_name: 'George Lucas' }],
  directors: [{ uuid: 'a5a8f573-3cee-4ccc-8a2b-91cb9f55250a', full_name: 'George Lucas' }],
};
app.get('/health', async () => ({ status: 'ok' }));
app.get('/baseline', async () => doc);
await app.listen({ port: Number(process.env.PORT ?? 18500), host: '127.0.0.1' });
