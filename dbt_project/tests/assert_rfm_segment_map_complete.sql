-- The segment map must cover every (r_score, fm_score) pair 1-5 x 1-5, so every customer gets a segment.
with

expected as (

    select r.r_score, fm.fm_score
    from range(1, 6) as r(r_score)
    cross join range(1, 6) as fm(fm_score)

),

segment_map as (

    select * from {{ ref('rfm_segment_map') }}

),

missing as (

    select expected.*
    from expected
    left join segment_map
        on expected.r_score = segment_map.r_score
        and expected.fm_score = segment_map.fm_score
    where segment_map.segment is null

)

select * from missing
