-- Built-in templates (Liquid), English and Russian. Admins may edit them; built-ins cannot be deleted.
-- Variables: user.login, user.first_name, user.email, app_url, unsubscribe_url, plus per template:
--   email_verification/password_reset: link, expires_at · review_liked: film_title, review_id
--   review_likes_digest: count, items[] {film_title, review_id} · films_digest: count, films[] {title, url}
--   announcement: data.title, data.body, data.url
INSERT INTO notify.template (key, locale, category, subject, body_text, body_html, builtin) VALUES
('welcome', 'en', 'account',
 $t$Welcome to Kinoservice, {{ user.first_name | default: user.login }}!$t$,
 $t$Hello {{ user.first_name | default: user.login }},

your Kinoservice account "{{ user.login }}" is ready. Find something to watch: {{ app_url }}$t$,
 $t$<p>Hello {{ user.first_name | default: user.login }},</p><p>your Kinoservice account <b>{{ user.login }}</b> is ready. <a href="{{ app_url }}">Find something to watch</a>.</p>$t$,
 true),
('welcome', 'ru', 'account',
 $t$Добро пожаловать в Kinoservice, {{ user.first_name | default: user.login }}!$t$,
 $t$Здравствуйте, {{ user.first_name | default: user.login }}!

Ваш аккаунт «{{ user.login }}» в Kinoservice готов. Выберите, что посмотреть: {{ app_url }}$t$,
 $t$<p>Здравствуйте, {{ user.first_name | default: user.login }}!</p><p>Ваш аккаунт <b>{{ user.login }}</b> в Kinoservice готов. <a href="{{ app_url }}">Выберите, что посмотреть</a>.</p>$t$,
 true),
('email_verification', 'en', 'security',
 $t$Confirm your email address$t$,
 $t$Hello {{ user.login }},

confirm your email address by opening this link (valid until {{ expires_at }}):
{{ link }}

If you did not create a Kinoservice account, ignore this message.$t$,
 $t$<p>Hello {{ user.login }},</p><p><a href="{{ link }}">Confirm your email address</a> (valid until {{ expires_at }}).</p><p>If you did not create a Kinoservice account, ignore this message.</p>$t$,
 true),
('email_verification', 'ru', 'security',
 $t$Подтвердите адрес электронной почты$t$,
 $t$Здравствуйте, {{ user.login }}!

Подтвердите адрес электронной почты по ссылке (действует до {{ expires_at }}):
{{ link }}

Если вы не регистрировались в Kinoservice, просто проигнорируйте это письмо.$t$,
 $t$<p>Здравствуйте, {{ user.login }}!</p><p><a href="{{ link }}">Подтвердить адрес</a> (действует до {{ expires_at }}).</p><p>Если вы не регистрировались в Kinoservice, просто проигнорируйте это письмо.</p>$t$,
 true),
('password_reset', 'en', 'security',
 $t$Reset your password$t$,
 $t$Hello {{ user.login }},

someone asked to reset the password of your Kinoservice account. Choose a new one here (valid until {{ expires_at }}):
{{ link }}

If it was not you, ignore this message: your password stays as it is.$t$,
 $t$<p>Hello {{ user.login }},</p><p>someone asked to reset the password of your Kinoservice account. <a href="{{ link }}">Choose a new password</a> (valid until {{ expires_at }}).</p><p>If it was not you, ignore this message: your password stays as it is.</p>$t$,
 true),
('password_reset', 'ru', 'security',
 $t$Сброс пароля$t$,
 $t$Здравствуйте, {{ user.login }}!

Кто-то запросил сброс пароля вашего аккаунта Kinoservice. Задайте новый пароль по ссылке (действует до {{ expires_at }}):
{{ link }}

Если это были не вы, проигнорируйте письмо: пароль не изменится.$t$,
 $t$<p>Здравствуйте, {{ user.login }}!</p><p>Кто-то запросил сброс пароля вашего аккаунта Kinoservice. <a href="{{ link }}">Задать новый пароль</a> (действует до {{ expires_at }}).</p><p>Если это были не вы, проигнорируйте письмо: пароль не изменится.</p>$t$,
 true),
('review_liked', 'en', 'social',
 $t$Someone liked your review{% if film_title %} of {{ film_title }}{% endif %}$t$,
 $t$Your review{% if film_title %} of {{ film_title }}{% endif %} got a new like.$t$,
 $t$<p>Your review{% if film_title %} of <b>{{ film_title }}</b>{% endif %} got a new like.</p>$t$,
 true),
('review_liked', 'ru', 'social',
 $t$Вашу рецензию{% if film_title %} на «{{ film_title }}»{% endif %} оценили$t$,
 $t$Вашей рецензии{% if film_title %} на «{{ film_title }}»{% endif %} поставили лайк.$t$,
 $t$<p>Вашей рецензии{% if film_title %} на «<b>{{ film_title }}</b>»{% endif %} поставили лайк.</p>$t$,
 true),
('review_likes_digest', 'en', 'social',
 $t${{ count }} new like{% if count != 1 %}s{% endif %} on your reviews$t$,
 $t$Hello {{ user.login }},

your reviews got {{ count }} new like{% if count != 1 %}s{% endif %} in the last hour:
{% for item in items %}- {{ item.film_title | default: "a film" }}
{% endfor %}$t$,
 $t$<p>Hello {{ user.login }},</p><p>your reviews got {{ count }} new like{% if count != 1 %}s{% endif %} in the last hour:</p><ul>{% for item in items %}<li>{{ item.film_title | default: "a film" }}</li>{% endfor %}</ul>$t$,
 true),
('review_likes_digest', 'ru', 'social',
 $t$Новые лайки ваших рецензий: {{ count }}$t$,
 $t$Здравствуйте, {{ user.login }}!

За последний час ваши рецензии получили лайков: {{ count }}.
{% for item in items %}- {{ item.film_title | default: "фильм" }}
{% endfor %}$t$,
 $t$<p>Здравствуйте, {{ user.login }}!</p><p>За последний час ваши рецензии получили лайков: {{ count }}.</p><ul>{% for item in items %}<li>{{ item.film_title | default: "фильм" }}</li>{% endfor %}</ul>$t$,
 true),
('films_digest', 'en', 'films',
 $t${% if count == 1 %}{{ films[0].title }} is now free to watch{% else %}{{ count }} films you may like are now free{% endif %}$t$,
 $t$Hello {{ user.login }},

now free to watch on Kinoservice:
{% for film in films %}- {{ film.title }}: {{ film.url }}
{% endfor %}$t$,
 $t$<p>Hello {{ user.login }},</p><p>now free to watch on Kinoservice:</p><ul>{% for film in films %}<li><a href="{{ film.url }}">{{ film.title }}</a></li>{% endfor %}</ul>$t$,
 true),
('films_digest', 'ru', 'films',
 $t${% if count == 1 %}«{{ films[0].title }}» теперь можно смотреть бесплатно{% else %}Бесплатно доступны фильмы, которые могут вам понравиться: {{ count }}{% endif %}$t$,
 $t$Здравствуйте, {{ user.login }}!

Теперь бесплатно в Kinoservice:
{% for film in films %}- {{ film.title }}: {{ film.url }}
{% endfor %}$t$,
 $t$<p>Здравствуйте, {{ user.login }}!</p><p>Теперь бесплатно в Kinoservice:</p><ul>{% for film in films %}<li><a href="{{ film.url }}">{{ film.title }}</a></li>{% endfor %}</ul>$t$,
 true),
('announcement', 'en', 'news',
 $t${{ data.title }}$t$,
 $t$Hello {{ user.first_name | default: user.login }},

{{ data.body }}{% if data.url %}

{{ data.url }}{% endif %}$t$,
 $t$<p>Hello {{ user.first_name | default: user.login }},</p><p>{{ data.body }}</p>{% if data.url %}<p><a href="{{ data.url }}">{{ data.url }}</a></p>{% endif %}$t$,
 true),
('announcement', 'ru', 'news',
 $t${{ data.title }}$t$,
 $t$Здравствуйте, {{ user.first_name | default: user.login }}!

{{ data.body }}{% if data.url %}

{{ data.url }}{% endif %}$t$,
 $t$<p>Здравствуйте, {{ user.first_name | default: user.login }}!</p><p>{{ data.body }}</p>{% if data.url %}<p><a href="{{ data.url }}">{{ data.url }}</a></p>{% endif %}$t$,
 true);
