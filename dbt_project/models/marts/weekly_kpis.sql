{{ period_kpis('week', 'week_start') }}
