-- An Open311 client's media_url (a link to the reporter's photo elsewhere),
-- kept with the case and returned in the request's media_url: recorded,
-- never fetched.
ALTER TABLE cases ADD COLUMN media_url TEXT NOT NULL DEFAULT '';
