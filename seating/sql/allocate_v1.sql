-- The seat allocation rule of record on PostgreSQL, version 1: the snake best-available
-- cascade and the sequential pick as server-side functions, so one allocation is one round
-- trip (seating.services.allocation._allocate_in_database calls seating_allocate).
--
-- This file is loaded by migration seating/0006 and must never change once released: a
-- migration runs as written forever. To change the rule, copy it to allocate_v2.sql, edit
-- that, add a migration that loads allocate_v2.sql (reverse: load this file again), and make
-- the same change in the Python cascade (seating/services/allocation.py, the SQLite path):
-- tests/seating/test_allocation_rule_of_record.py runs both on generated sectors and fails
-- when they choose different seats.
--
-- Same definitions as migrations 0003 (the functions) and 0004 (generic plans) left them.

-- Subsector of a column: the first group whose column range holds it, else 0
-- (seating.services.inventory.block_of).
CREATE OR REPLACE FUNCTION seating_block_of(p_col integer, p_groups jsonb) RETURNS integer
LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce((SELECT (g.ord - 1)::integer
                     FROM jsonb_array_elements(p_groups) WITH ORDINALITY AS g(grp, ord)
                     WHERE p_col BETWEEN (g.grp ->> 'col_from')::integer
                                     AND (g.grp ->> 'col_to')::integer
                     ORDER BY g.ord LIMIT 1), 0)
$$;

-- Steps 1 and 2 for one sector: the best block of p_n side-by-side seats leaving no orphan
-- single seat, and the best block at all (the fallback), reading ranks with at least p_n free
-- seats best first, p_window ranks at a time and twice as many each time. A run of L free seats
-- has a block leaving no orphan unless L = p_n + 1, so only the first row holding such a run
-- (and, failing that, the first row holding any long enough run) is scored: by the row
-- strategy, ties to the leftmost block. A row's centre is the centre of its full physical
-- extent, read from the template seats' grid index.
CREATE OR REPLACE FUNCTION seating_best_block(
    p_sector bigint, p_template bigint, p_strategy text, p_groups jsonb, p_n integer,
    p_window integer, OUT no_orphan bigint[], OUT any_block bigint[])
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_from integer := 0;
    v_window integer := p_window;
    v_last integer;
    v_no_orphan bigint[];
    v_any bigint[];
BEGIN
    LOOP
        WITH ranks AS (
            SELECT i.row_rank FROM seating_seatinventory i
            WHERE i.match_sector_id = p_sector AND i.status = 'AVAILABLE'
              AND i.row_rank >= v_from
            GROUP BY i.row_rank HAVING count(*) >= p_n
            ORDER BY i.row_rank LIMIT v_window),
        free AS (
            SELECT i.id, i.row_rank, i.block, i.grid_row, i.grid_col,
                   i.grid_col - row_number() OVER (PARTITION BY i.row_rank, i.block
                                                   ORDER BY i.grid_col) AS run
            FROM seating_seatinventory i JOIN ranks r ON r.row_rank = i.row_rank
            WHERE i.match_sector_id = p_sector AND i.status = 'AVAILABLE'),
        runs AS MATERIALIZED (
            SELECT f.row_rank, f.block, min(f.grid_row) AS grid_row, min(f.grid_col) AS lo,
                   count(*)::integer AS len, array_agg(f.id ORDER BY f.grid_col) AS ids
            FROM free f GROUP BY f.row_rank, f.block, f.run HAVING count(*) >= p_n),
        clean AS (
            SELECT u.row_rank, u.block, u.grid_row FROM runs u WHERE u.len <> p_n + 1
            ORDER BY u.row_rank, u.block LIMIT 1),
        picked AS MATERIALIZED (
            SELECT t.clean, t.row_rank, t.block,
                   CASE WHEN p_strategy <> 'CENTER_OUTWARD' THEN NULL
                        WHEN jsonb_array_length(p_groups) = 0 THEN (
                            SELECT (min(s.grid_col) + max(s.grid_col)) / 2.0
                            FROM seating_seat s
                            WHERE s.sector_id = p_template AND s.grid_row = t.grid_row)
                        ELSE (
                            SELECT (min(s.grid_col) + max(s.grid_col)) / 2.0
                            FROM seating_seat s
                            WHERE s.sector_id = p_template AND s.grid_row = t.grid_row
                              AND seating_block_of(s.grid_col, p_groups) = t.block)
                   END AS centre
            FROM (SELECT true AS clean, c.* FROM clean c
                  UNION ALL
                  (SELECT false, u.row_rank, u.block, u.grid_row FROM runs u
                   WHERE NOT EXISTS (SELECT 1 FROM clean)
                   ORDER BY u.row_rank, u.block LIMIT 1)) t),
        windows AS (
            SELECT t.clean, u.ids[k + 1 : k + p_n] AS ids, u.lo + k AS first_col,
                   CASE p_strategy
                       WHEN 'LEFT_TO_RIGHT' THEN (u.lo + k)::numeric
                       WHEN 'RIGHT_TO_LEFT' THEN -(u.lo + k)::numeric
                       ELSE abs(u.lo + k + (p_n - 1) / 2.0 - coalesce(t.centre, u.lo + k))
                   END AS score
            FROM picked t
            JOIN runs u ON u.row_rank = t.row_rank AND u.block = t.block
            CROSS JOIN generate_series(0, u.len - p_n) AS k
            WHERE NOT t.clean OR NOT (k = 1 OR u.len - k - p_n = 1))
        SELECT (SELECT max(r.row_rank) FROM ranks r),
               (SELECT w.ids FROM windows w WHERE w.clean ORDER BY w.score, w.first_col LIMIT 1),
               (SELECT w.ids FROM windows w WHERE NOT w.clean
                ORDER BY w.score, w.first_col LIMIT 1)
        INTO v_last, v_no_orphan, v_any;

        any_block := coalesce(any_block, v_any);
        IF v_no_orphan IS NOT NULL THEN
            no_orphan := v_no_orphan;
            RETURN;
        END IF;
        EXIT WHEN v_last IS NULL;
        v_from := v_last + 1;
        v_window := v_window * 2;
    END LOOP;
END;
$$;

-- Step 3: the longest run of a row plus the stretch of a physically neighbouring row (same
-- subsector) nearest the run's first column.
CREATE OR REPLACE FUNCTION seating_two_rows(p_sector bigint, p_n integer) RETURNS bigint[]
LANGUAGE sql STABLE AS $$
    WITH free AS (
        SELECT i.id, i.row_rank, i.block, i.grid_row, i.grid_col,
               i.grid_col - row_number() OVER (PARTITION BY i.row_rank, i.block
                                               ORDER BY i.grid_col) AS run
        FROM seating_seatinventory i
        WHERE i.match_sector_id = p_sector AND i.status = 'AVAILABLE'),
    runs AS (
        SELECT f.row_rank, f.block, min(f.grid_row) AS grid_row, min(f.grid_col) AS lo,
               count(*)::integer AS len, array_agg(f.id ORDER BY f.grid_col) AS ids
        FROM free f GROUP BY f.row_rank, f.block, f.run),
    longest AS (
        SELECT DISTINCT ON (u.row_rank, u.block) u.*
        FROM runs u ORDER BY u.row_rank, u.block, u.len DESC, u.lo)
    SELECT a.ids || b.ids[st.start + 1 : st.start + p_n - a.len]
    FROM longest a
    JOIN longest b ON b.block = a.block AND abs(b.grid_row - a.grid_row) = 1
    CROSS JOIN LATERAL (
        SELECT greatest(0, least(b.len - (p_n - a.len), a.lo - b.lo)) AS start) st
    WHERE p_n - a.len > 0 AND p_n - a.len <= b.len
    ORDER BY a.row_rank, a.block, b.row_rank
    LIMIT 1
$$;

-- One allocation, one round trip. Returns the seats taken, in order, each row carrying the
-- outcome 'ok' and the step that found them (0 sequential, 1 together, 3 two rows, 4 singles);
-- or a single row with outcome 'no_sectors', 'general_admission' (the caller handles it),
-- 'not_enough' or 'try_again' (seats kept changing under admin actions). Every row carries
-- how many expired holds were released.
CREATE OR REPLACE FUNCTION seating_allocate(
    p_match_id bigint, p_sector_ids bigint[], p_quantity integer, p_sequential boolean,
    p_status text, p_owner text, p_user_id bigint, p_until timestamptz, p_release_to text,
    p_reason text, p_now timestamptz)
RETURNS TABLE (outcome text, step integer, released integer, sector_id bigint,
               seat_id bigint, seat_rank integer, seat_block integer, seat_col integer,
               seat_no integer, seat_row text)
LANGUAGE plpgsql
-- plan once per connection (seating 0004: planning cost more than running)
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    v_sectors bigint[];
    v_templates bigint[];
    v_numbered boolean[];
    v_strategies text[];
    v_groups jsonb[];
    v_released integer := 0;
    v_count integer;
    v_ids bigint[];
    v_sector bigint;
    v_step integer;
    v_found record;
    v_fallback bigint[];
    v_fallback_sector bigint;
BEGIN
    -- Lock the candidate sectors in id order; list them in the caller's order (else display
    -- order), with their template sector and snake settings.
    WITH locked AS (
        SELECT s.id, s.sector_id, s.is_numbered, s.display_order
        FROM seating_matchsector s
        WHERE s.match_id = p_match_id AND s.status = 'ACTIVE'
          AND (p_sector_ids IS NULL OR s.id = ANY (p_sector_ids))
        ORDER BY s.id FOR UPDATE)
    SELECT array_agg(l.id ORDER BY array_position(p_sector_ids, l.id), l.display_order, l.id),
           array_agg(l.sector_id ORDER BY array_position(p_sector_ids, l.id), l.display_order, l.id),
           array_agg(l.is_numbered ORDER BY array_position(p_sector_ids, l.id), l.display_order, l.id),
           array_agg(coalesce(c.within_row_strategy, 'CENTER_OUTWARD')
                     ORDER BY array_position(p_sector_ids, l.id), l.display_order, l.id),
           array_agg(coalesce(c.subsector_grouping_json, '[]'::jsonb)
                     ORDER BY array_position(p_sector_ids, l.id), l.display_order, l.id)
    INTO v_sectors, v_templates, v_numbered, v_strategies, v_groups
    FROM locked l LEFT JOIN seating_snakeconfig c ON c.sector_id = l.sector_id;

    IF v_sectors IS NULL THEN
        RETURN QUERY SELECT 'no_sectors', NULL::integer, 0, NULL::bigint, NULL::bigint,
            NULL::integer, NULL::integer, NULL::integer, NULL::integer, NULL::text;
        RETURN;
    END IF;
    IF NOT v_numbered[1] THEN
        RETURN QUERY SELECT 'general_admission', NULL::integer, 0, NULL::bigint, NULL::bigint,
            NULL::integer, NULL::integer, NULL::integer, NULL::integer, NULL::text;
        RETURN;
    END IF;

    -- An expired hold is free at once: give the sectors' expired holds back first.
    FOREACH v_sector IN ARRAY v_sectors LOOP
        WITH expired AS (
            SELECT i.id, i.release_to, i.hold_owner FROM seating_seatinventory i
            WHERE i.match_sector_id = v_sector AND i.status = 'RESERVED'
              AND i.hold_expires_at <= p_now
            ORDER BY i.id LIMIT 5000 FOR UPDATE SKIP LOCKED),
        freed AS (
            UPDATE seating_seatinventory i
            SET status = e.release_to, version = i.version + 1, last_modified_at = p_now,
                hold_owner = CASE WHEN e.release_to = 'AVAILABLE' THEN '' ELSE i.hold_owner END,
                hold_expires_at = NULL, held_by_id = NULL, release_to = 'AVAILABLE'
            FROM expired e WHERE i.id = e.id
            RETURNING i.id, e.release_to, e.hold_owner),
        logged AS (
            INSERT INTO seating_seatauditlog
                (inventory_id, from_status, to_status, reason, hold_owner, created_at)
            SELECT f.id, 'RESERVED', f.release_to, 'hold expired', f.hold_owner, p_now
            FROM freed f RETURNING 1)
        SELECT count(*) INTO v_count FROM logged;
        v_released := v_released + v_count;
    END LOOP;

    FOR attempt IN 1..3 LOOP
        v_ids := NULL;
        v_fallback := NULL;
        IF p_sequential THEN
            FOR i IN 1 .. array_length(v_sectors, 1) LOOP
                SELECT array_agg(x.id ORDER BY x.grid_row, x.seat_number) INTO v_ids
                FROM (SELECT s.id, s.grid_row, s.seat_number FROM seating_seatinventory s
                      WHERE s.match_sector_id = v_sectors[i] AND s.status = 'AVAILABLE'
                      ORDER BY s.grid_row, s.seat_number LIMIT p_quantity) x;
                IF cardinality(v_ids) = p_quantity THEN
                    v_sector := v_sectors[i]; v_step := 0; EXIT;
                END IF;
                v_ids := NULL;
            END LOOP;
        ELSE
            FOR i IN 1 .. array_length(v_sectors, 1) LOOP
                SELECT * INTO v_found FROM seating_best_block(
                    v_sectors[i], v_templates[i], v_strategies[i], v_groups[i], p_quantity, 2);
                IF v_found.no_orphan IS NOT NULL THEN
                    v_ids := v_found.no_orphan; v_sector := v_sectors[i]; v_step := 1; EXIT;
                END IF;
                IF v_fallback IS NULL AND v_found.any_block IS NOT NULL THEN
                    v_fallback := v_found.any_block; v_fallback_sector := v_sectors[i];
                END IF;
            END LOOP;
            IF v_ids IS NULL AND v_fallback IS NOT NULL THEN
                v_ids := v_fallback; v_sector := v_fallback_sector; v_step := 1;
            END IF;
            IF v_ids IS NULL THEN
                FOR i IN 1 .. array_length(v_sectors, 1) LOOP
                    v_ids := seating_two_rows(v_sectors[i], p_quantity);
                    IF v_ids IS NOT NULL THEN v_sector := v_sectors[i]; v_step := 3; EXIT; END IF;
                END LOOP;
            END IF;
            IF v_ids IS NULL THEN
                FOR i IN 1 .. array_length(v_sectors, 1) LOOP
                    SELECT array_agg(x.id ORDER BY x.row_rank, x.block, x.grid_col) INTO v_ids
                    FROM (SELECT s.id, s.row_rank, s.block, s.grid_col
                          FROM seating_seatinventory s
                          WHERE s.match_sector_id = v_sectors[i] AND s.status = 'AVAILABLE'
                          ORDER BY s.row_rank, s.block, s.grid_col LIMIT p_quantity) x;
                    IF cardinality(v_ids) = p_quantity THEN
                        v_sector := v_sectors[i]; v_step := 4; EXIT;
                    END IF;
                    v_ids := NULL;
                END LOOP;
            END IF;
        END IF;

        IF v_ids IS NULL THEN
            RETURN QUERY SELECT 'not_enough', NULL::integer, v_released, NULL::bigint,
                NULL::bigint, NULL::integer, NULL::integer, NULL::integer, NULL::integer,
                NULL::text;
            RETURN;
        END IF;

        -- Admin status changes do not take the sector lock: lock the chosen seats and make
        -- sure they are all still free before taking them; else search again.
        SELECT count(*) INTO v_count FROM (
            SELECT 1 FROM seating_seatinventory s
            WHERE s.id = ANY (v_ids) AND s.status = 'AVAILABLE'
            ORDER BY s.id FOR UPDATE) x;
        CONTINUE WHEN v_count <> p_quantity;

        RETURN QUERY
        WITH taken AS (
            UPDATE seating_seatinventory s
            SET status = p_status, hold_owner = p_owner, held_by_id = p_user_id,
                hold_expires_at = p_until, release_to = p_release_to,
                version = s.version + 1, last_modified_at = p_now
            WHERE s.id = ANY (v_ids) AND s.status = 'AVAILABLE'
            RETURNING s.id, s.match_sector_id, s.row_rank, s.block, s.grid_col, s.seat_number,
                      s.row_label),
        logged AS (
            INSERT INTO seating_seatauditlog
                (inventory_id, from_status, to_status, reason, changed_by_id, hold_owner,
                 created_at)
            SELECT t.id, 'AVAILABLE', p_status, p_reason, p_user_id, p_owner, p_now
            FROM taken t)
        SELECT 'ok', v_step, v_released, t.match_sector_id, t.id, t.row_rank, t.block::integer,
               t.grid_col, t.seat_number, t.row_label::text
        FROM taken t JOIN unnest(v_ids) WITH ORDINALITY AS u(id, ord) ON u.id = t.id
        ORDER BY u.ord;
        RETURN;
    END LOOP;

    RETURN QUERY SELECT 'try_again', NULL::integer, v_released, NULL::bigint, NULL::bigint,
        NULL::integer, NULL::integer, NULL::integer, NULL::integer, NULL::text;
END;
$$;
