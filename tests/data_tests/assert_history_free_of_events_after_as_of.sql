{#- No transaction after as_of_date reaches the features: every last purchase is on/before it. -#}
select *
from {{ ref('customer_features') }}
where
    last_purchase_date > as_of_date
    or first_purchase_date > as_of_date
    or {{ to_business_date('registered_at') }} > as_of_date
