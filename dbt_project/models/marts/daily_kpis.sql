{{ period_kpis('day', 'order_date') }}
