-- A changed account replaces its domains: the delete goes by account, which the primary key
-- (tenant, domain, account) cannot serve; without this index every such batch scanned the table
-- once per changed account (0.6 s per batch at 25,000 domains).
CREATE INDEX account_domains_by_account ON account_domains (tenant_id, account_crm_id);
