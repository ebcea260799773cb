-- The notice to the previous address when an account's email changes, with a link that undoes
-- the change. Variables: link, expires_at, new_email.
INSERT INTO notify.template (key, locale, category, subject, body_text, body_html, builtin) VALUES
('email_changed', 'en', 'security',
 $t$Your Kinoservice email address was changed$t$,
 $t$Hello {{ user.login }},

the email address of your Kinoservice account was changed to {{ new_email }}.

If you did not do this, undo the change here (valid until {{ expires_at }}); every session of the account will end:
{{ link }}$t$,
 $t$<p>Hello {{ user.login }},</p><p>the email address of your Kinoservice account was changed to <b>{{ new_email }}</b>.</p><p>If you did not do this, <a href="{{ link }}">undo the change</a> (valid until {{ expires_at }}); every session of the account will end.</p>$t$,
 true),
('email_changed', 'ru', 'security',
 $t$Адрес почты в Kinoservice изменён$t$,
 $t$Здравствуйте, {{ user.login }}!

Адрес почты вашего аккаунта Kinoservice изменён на {{ new_email }}.

Если это были не вы, отмените изменение по ссылке (действует до {{ expires_at }}); все сеансы аккаунта будут завершены:
{{ link }}$t$,
 $t$<p>Здравствуйте, {{ user.login }}!</p><p>Адрес почты вашего аккаунта Kinoservice изменён на <b>{{ new_email }}</b>.</p><p>Если это были не вы, <a href="{{ link }}">отмените изменение</a> (действует до {{ expires_at }}); все сеансы аккаунта будут завершены.</p>$t$,
 true);
