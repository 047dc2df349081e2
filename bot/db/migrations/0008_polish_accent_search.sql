-- 0008: /launch finds a name whatever its accents: "electron" finds "Électron", "lodz" finds "Łódź". The key is
-- now bot.textfold.search_key (compatibility forms, case and Latin/Greek/Cyrillic diacritics folded), the same
-- fold applied to what is typed; the search_key() SQL function is that Python function, registered by
-- bot/db/database.py on every connection it opens. Every stored name gets its key again.
UPDATE events SET name_key = search_key(name);
