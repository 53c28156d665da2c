-- vssd schema, version 3: the hubs sharing this database (issue 10). Each hub claims its 10-bit number (the
-- hub part of every call id `c_<n>`, vssd/calls/ids.py) at start; a second hub id claiming a number another
-- holds is refused, so two hubs never mint ids in one number space. A hub that changes its number gives up
-- its old one. Applied once, in one transaction; never edit after release.
CREATE TABLE hubs (
    number      integer     PRIMARY KEY CHECK (number BETWEEN 0 AND 1023),
    hub_id      text        NOT NULL UNIQUE,
    claimed_at  timestamptz NOT NULL DEFAULT now()
);
