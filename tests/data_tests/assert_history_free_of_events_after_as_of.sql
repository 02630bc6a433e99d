{#- No event after as_of_date reaches the features: purchases and registration are on/before it. -#}
select
    customer_id,
    as_of_date,
    first_purchase_date,
    last_purchase_date,
    registered_at
from {{ ref('customer_features') }}
where
    last_purchase_date > as_of_date
    or first_purchase_date > as_of_date
    or {{ to_business_date('registered_at') }} > as_of_date
