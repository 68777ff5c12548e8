-- every name a product was sold under (int_products keeps the most used one), so that "products with 'BAG' in
-- the name" finds a code by any name its lines carried, as a search of the order lines would
select
    product_id,
    product_name,
    count(*) as lines
from {{ ref('int_order_lines') }}
where product_id is not null and product_name is not null
group by product_id, product_name
