/** English and Russian UI: react-admin's own messages plus the panel's, chosen in the app bar. */
import polyglotI18nProvider from 'ra-i18n-polyglot';
import englishMessages from 'ra-language-english';
import russianMessages from 'ra-language-russian';
import type { TranslationMessages } from 'react-admin';

type Tree = { [key: string]: string | Tree };

function merge(a: Tree, b: Tree): Tree {
  const out: Tree = { ...a };
  for (const [key, value] of Object.entries(b)) {
    const current = out[key];
    out[key] = typeof value === 'object' && typeof current === 'object' ? merge(current, value) : value;
  }
  return out;
}

const en = {
  kino: {
    title: 'Kinoservice admin',
    auth: {
      login: 'Login or email',
      password: 'Password',
      sign_in: 'Sign in',
      mfa_title: 'Two-step verification',
      mfa_hint: 'Enter the 6-digit code from your authenticator app, or a recovery code.',
      code: 'Code',
      verify: 'Verify',
      back: 'Back',
      no_access: 'This account has no access to the admin panel.',
      required: 'Please sign in.',
      expired: 'Your session has ended. Please sign in again.',
    },
    access: { FREE: 'Free', PAID: 'Subscription', ARCHIVED: 'Archived' },
    type: { movie: 'Movie', tv_show: 'TV show' },
    role: { actor: 'Actor', director: 'Director', writer: 'Writer' },
    bulk: {
      set_access: 'Access: %{access}',
      done: 'Access level changed for %{smart_count} film |||| Access level changed for %{smart_count} films',
    },
    history: {
      tab: 'History',
      empty: 'No changes recorded yet.',
      create: 'created',
      update: 'updated',
      delete: 'deleted',
      by: 'by %{who}',
      field: 'Field',
      before: 'Before',
      after: 'After',
      system: 'system',
    },
    film: { main: 'Film', cast: 'Genres and people', add_person: 'Add person' },
    media: {
      tab: 'Media',
      uploading: 'Uploading',
      poster: {
        title: 'Poster',
        empty: 'This film has no poster yet.',
        upload: 'Upload poster',
        replace: 'Replace poster',
        remove: 'Remove poster',
        remove_confirm: 'Remove the poster of this film? The catalogue stops showing it.',
        uploaded: 'Poster uploaded.',
        removed: 'Poster removed.',
      },
      trailer: {
        title: 'Trailer',
        empty: 'This film has no trailer yet.',
        upload: 'Upload trailer',
        replace: 'Replace trailer',
        remove: 'Remove trailer',
        remove_confirm: 'Remove the trailer of this film?',
        uploaded: 'Trailer uploaded.',
        removed: 'Trailer removed.',
      },
      video: {
        title: 'Film video',
        empty: 'This film has no video yet.',
        upload: 'Upload video',
        replace: 'Replace video',
        delete: 'Delete video',
        delete_confirm: 'Delete the video of this film and every rendition made from it?',
        deleted: 'Video deleted.',
        queued: 'Video uploaded; packaging has started.',
        resume: 'Resume',
        network_error: 'The connection was lost. The upload can resume where it stopped.',
        status: { queued: 'Queued', processing: 'Processing', ready: 'Ready', failed: 'Failed' },
        step: 'Step',
        eta: 'Time left',
        processing: 'Packaging',
        failed: 'Packaging failed',
        retrying: 'Attempt %{smart_count} failed, retrying',
        storage: 'Storage used',
        rendition: 'Rendition',
        resolution: 'Resolution',
        bitrate: 'Bitrate',
        size: 'Size',
      },
      subtitles: {
        title: 'Subtitles',
        empty: 'This video has no subtitles yet.',
        lang: 'Language',
        lang_help: 'BCP 47 tag: en, pt-BR',
        label: 'Label',
        label_help: "Optional; the language's own name by default",
        upload: 'Upload .vtt',
        uploaded: 'Subtitles uploaded.',
        delete: 'Delete',
        deleted: 'Subtitles deleted.',
      },
      unit: {
        b: 'B',
        kb: 'KB',
        mb: 'MB',
        gb: 'GB',
        tb: 'TB',
        kbps: 'kbit/s',
        mbps: 'Mbit/s',
        h: 'h',
        min: 'min',
        s: 's',
      },
    },
    users: {
      roles: 'Roles',
      assign: 'Assign role',
      assign_button: 'Assign',
      revoke: 'Revoke %{role}',
      sessions: 'Active sessions',
      no_sessions: 'No active sessions.',
      end_sessions: 'End all sessions',
      sessions_ended: 'All sessions of this user were ended.',
      session_created: 'Signed in',
      session_last_used: 'Last used',
      role_assigned: 'Role %{role} assigned.',
      role_revoked: 'Role %{role} revoked.',
    },
    denied: 'You do not have permission to see this page.',
  },
  resources: {
    films: {
      name: 'Film |||| Films',
      fields: {
        q: 'Search',
        title: 'Title',
        description: 'Description',
        creation_date: 'Release date',
        rating: 'Rating',
        type: 'Type',
        access: 'Access',
        genre: 'Genres',
        genre_ids: 'Genres',
        genres: 'Genres',
        persons: 'People',
        person_links: 'People',
        person_id: 'Person',
        role: 'Role',
        year_from: 'Year from',
        year_to: 'Year to',
        rating_min: 'Rating from',
        rating_max: 'Rating to',
        created: 'Created',
        modified: 'Modified',
        version: 'Version',
      },
    },
    genres: {
      name: 'Genre |||| Genres',
      fields: {
        q: 'Search',
        name: 'Name',
        description: 'Description',
        film_count: 'Films',
        created: 'Created',
        modified: 'Modified',
      },
    },
    persons: {
      name: 'Person |||| Persons',
      fields: {
        q: 'Search',
        full_name: 'Full name',
        film_count: 'Films',
        created: 'Created',
        modified: 'Modified',
      },
    },
    audit: {
      name: 'Change log',
      fields: {
        at: 'When',
        entity: 'Object',
        entity_id: 'Id',
        action: 'Action',
        actor_login: 'Who',
        diff: 'Changes',
      },
    },
    users: {
      name: 'User |||| Users',
      fields: {
        q: 'Search',
        login: 'Login',
        email: 'Email',
        first_name: 'First name',
        last_name: 'Last name',
        roles: 'Roles',
        created_at: 'Registered',
      },
    },
    roles: {
      name: 'Role |||| Roles',
      fields: { q: 'Search', code: 'Code', description: 'Description', permissions: 'Permissions' },
    },
  },
};

const ru: typeof en = {
  kino: {
    title: 'Киносервис: администрирование',
    auth: {
      login: 'Логин или email',
      password: 'Пароль',
      sign_in: 'Войти',
      mfa_title: 'Двухэтапная проверка',
      mfa_hint: 'Введите 6-значный код из приложения-аутентификатора или резервный код.',
      code: 'Код',
      verify: 'Подтвердить',
      back: 'Назад',
      no_access: 'У этой учётной записи нет доступа к панели администрирования.',
      required: 'Войдите, пожалуйста.',
      expired: 'Сеанс завершён. Войдите снова.',
    },
    access: { FREE: 'Бесплатно', PAID: 'По подписке', ARCHIVED: 'В архиве' },
    type: { movie: 'Фильм', tv_show: 'Сериал' },
    role: { actor: 'Актёр', director: 'Режиссёр', writer: 'Сценарист' },
    bulk: {
      set_access: 'Доступ: %{access}',
      done: 'Уровень доступа изменён у %{smart_count} фильма |||| Уровень доступа изменён у %{smart_count} фильмов',
    },
    history: {
      tab: 'История',
      empty: 'Изменений пока нет.',
      create: 'создан',
      update: 'изменён',
      delete: 'удалён',
      by: 'кем: %{who}',
      field: 'Поле',
      before: 'Было',
      after: 'Стало',
      system: 'система',
    },
    film: { main: 'Фильм', cast: 'Жанры и участники', add_person: 'Добавить участника' },
    media: {
      tab: 'Медиа',
      uploading: 'Загрузка',
      poster: {
        title: 'Постер',
        empty: 'У фильма пока нет постера.',
        upload: 'Загрузить постер',
        replace: 'Заменить постер',
        remove: 'Удалить постер',
        remove_confirm: 'Удалить постер фильма? Каталог перестанет его показывать.',
        uploaded: 'Постер загружен.',
        removed: 'Постер удалён.',
      },
      trailer: {
        title: 'Трейлер',
        empty: 'У фильма пока нет трейлера.',
        upload: 'Загрузить трейлер',
        replace: 'Заменить трейлер',
        remove: 'Удалить трейлер',
        remove_confirm: 'Удалить трейлер фильма?',
        uploaded: 'Трейлер загружен.',
        removed: 'Трейлер удалён.',
      },
      video: {
        title: 'Видео фильма',
        empty: 'У фильма пока нет видео.',
        upload: 'Загрузить видео',
        replace: 'Заменить видео',
        delete: 'Удалить видео',
        delete_confirm: 'Удалить видео фильма и все сделанные из него версии?',
        deleted: 'Видео удалено.',
        queued: 'Видео загружено; обработка началась.',
        resume: 'Продолжить',
        network_error: 'Соединение прервалось. Загрузку можно продолжить с места остановки.',
        status: { queued: 'В очереди', processing: 'Обрабатывается', ready: 'Готово', failed: 'Ошибка' },
        step: 'Этап',
        eta: 'Осталось',
        processing: 'Обработка',
        failed: 'Обработка не удалась',
        retrying: 'Попытка %{smart_count} не удалась, повтор',
        storage: 'Занято в хранилище',
        rendition: 'Версия',
        resolution: 'Разрешение',
        bitrate: 'Битрейт',
        size: 'Размер',
      },
      subtitles: {
        title: 'Субтитры',
        empty: 'У видео пока нет субтитров.',
        lang: 'Язык',
        lang_help: 'Тег BCP 47: ru, en, pt-BR',
        label: 'Название',
        label_help: 'Необязательно; по умолчанию — название языка',
        upload: 'Загрузить .vtt',
        uploaded: 'Субтитры загружены.',
        delete: 'Удалить',
        deleted: 'Субтитры удалены.',
      },
      unit: {
        b: 'Б',
        kb: 'КБ',
        mb: 'МБ',
        gb: 'ГБ',
        tb: 'ТБ',
        kbps: 'кбит/с',
        mbps: 'Мбит/с',
        h: 'ч',
        min: 'мин',
        s: 'с',
      },
    },
    users: {
      roles: 'Роли',
      assign: 'Назначить роль',
      assign_button: 'Назначить',
      revoke: 'Снять роль %{role}',
      sessions: 'Активные сеансы',
      no_sessions: 'Активных сеансов нет.',
      end_sessions: 'Завершить все сеансы',
      sessions_ended: 'Все сеансы пользователя завершены.',
      session_created: 'Вход',
      session_last_used: 'Последняя активность',
      role_assigned: 'Роль %{role} назначена.',
      role_revoked: 'Роль %{role} снята.',
    },
    denied: 'У вас нет прав на просмотр этой страницы.',
  },
  resources: {
    films: {
      name: 'Фильм |||| Фильмы',
      fields: {
        q: 'Поиск',
        title: 'Название',
        description: 'Описание',
        creation_date: 'Дата выхода',
        rating: 'Рейтинг',
        type: 'Тип',
        access: 'Доступ',
        genre: 'Жанры',
        genre_ids: 'Жанры',
        genres: 'Жанры',
        persons: 'Участники',
        person_links: 'Участники',
        person_id: 'Персона',
        role: 'Роль',
        year_from: 'Год с',
        year_to: 'Год по',
        rating_min: 'Рейтинг от',
        rating_max: 'Рейтинг до',
        created: 'Создан',
        modified: 'Изменён',
        version: 'Версия',
      },
    },
    genres: {
      name: 'Жанр |||| Жанры',
      fields: {
        q: 'Поиск',
        name: 'Название',
        description: 'Описание',
        film_count: 'Фильмов',
        created: 'Создан',
        modified: 'Изменён',
      },
    },
    persons: {
      name: 'Персона |||| Персоны',
      fields: {
        q: 'Поиск',
        full_name: 'Полное имя',
        film_count: 'Фильмов',
        created: 'Создана',
        modified: 'Изменена',
      },
    },
    audit: {
      name: 'Журнал изменений',
      fields: {
        at: 'Когда',
        entity: 'Объект',
        entity_id: 'Id',
        action: 'Действие',
        actor_login: 'Кто',
        diff: 'Изменения',
      },
    },
    users: {
      name: 'Пользователь |||| Пользователи',
      fields: {
        q: 'Поиск',
        login: 'Логин',
        email: 'Email',
        first_name: 'Имя',
        last_name: 'Фамилия',
        roles: 'Роли',
        created_at: 'Зарегистрирован',
      },
    },
    roles: {
      name: 'Роль |||| Роли',
      fields: { q: 'Поиск', code: 'Код', description: 'Описание', permissions: 'Права' },
    },
  },
};

const MESSAGES: Record<string, TranslationMessages> = {
  en: merge(englishMessages as unknown as Tree, en) as unknown as TranslationMessages,
  // Keys the Russian pack lacks fall back to English rather than showing a key.
  ru: merge(
    merge(englishMessages as unknown as Tree, russianMessages as unknown as Tree),
    ru,
  ) as unknown as TranslationMessages,
};

const initial = (() => {
  const saved = localStorage.getItem('RaStore.locale');
  if (saved) {
    try {
      const locale = JSON.parse(saved) as string;
      if (locale in MESSAGES) return locale;
    } catch {
      /* ignore */
    }
  }
  return navigator.language.toLowerCase().startsWith('ru') ? 'ru' : 'en';
})();

export const i18nProvider = polyglotI18nProvider((locale) => MESSAGES[locale] ?? MESSAGES.en!, initial, [
  { locale: 'en', name: 'English' },
  { locale: 'ru', name: 'Русский' },
]);
