{{ period_kpis('month', 'month_start') }}
