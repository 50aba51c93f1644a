-- pvaudit trail replay (lake): AssumeRole events into the chosen roles and the
-- events made under their sessions, in the window; every row carries the row count.
WITH events AS (
  SELECT
    eventversion,
    eventid,
    sharedeventid,
    CAST(eventtime AS varchar) AS eventtime,
    eventsource,
    eventname,
    awsregion,
    sourceipaddress,
    useragent,
    errorcode,
    errormessage,
    recipientaccountid,
    useridentity.type AS ui_type,
    useridentity.principalid AS ui_principalid,
    useridentity.arn AS ui_arn,
    useridentity.accountid AS ui_accountid,
    useridentity.accesskeyid AS ui_accesskeyid,
    useridentity.username AS ui_username,
    useridentity.invokedby AS ui_invokedby,
    useridentity.sessioncontext.sessionissuer.arn AS ui_issuer_arn,
    json_format(CAST(requestparameters AS JSON)) AS requestparameters,
    json_format(CAST(responseelements AS JSON)) AS responseelements,
    element_at(requestparameters, 'roleArn') AS role_arn
  FROM EXAMPLE-f852-4e8f-8bd1-bcf6cEXAMPLE
  WHERE eventtime >= timestamp '2026-10-30 06:00:00.000'
    AND eventtime <= timestamp '2026-11-02 18:30:00.000'
)
SELECT
  eventversion, eventid, sharedeventid, eventtime, eventsource, eventname, awsregion, sourceipaddress, useragent, errorcode, errormessage, recipientaccountid, ui_type, ui_principalid, ui_arn, ui_accountid, ui_accesskeyid, ui_username, ui_invokedby, ui_issuer_arn, requestparameters, responseelements,
  count(*) OVER () AS total_rows
FROM events
WHERE
  -- sessions opened on a chosen role (a failed AssumeRole names the role only in its message)
  (eventname IN ('AssumeRole', 'AssumeRoleWithSAML', 'AssumeRoleWithWebIdentity') AND (((role_arn LIKE '%:role/%' AND (regexp_extract(role_arn, '[^/]*$') LIKE 'Pennsieve-Legacy-%' ESCAPE '\' OR regexp_like(regexp_extract(role_arn, '[^/]*$'), '^Pennsieve\-Compute\-(?:[0-9A-Za-z])+\-(?:[0-9A-Za-z])+$'))) OR (role_arn LIKE '%:assumed-role/%' AND (regexp_extract(role_arn, ':assumed-role/([^/]*)', 1) LIKE 'Pennsieve-Legacy-%' ESCAPE '\' OR regexp_like(regexp_extract(role_arn, ':assumed-role/([^/]*)', 1), '^Pennsieve\-Compute\-(?:[0-9A-Za-z])+\-(?:[0-9A-Za-z])+$'))))
    OR ((role_arn IS NULL OR role_arn = '') AND errormessage LIKE '%:role/%')))
  -- calls made under a session of a chosen role
  OR ((ui_issuer_arn LIKE '%:role/%' AND (regexp_extract(ui_issuer_arn, '[^/]*$') LIKE 'Pennsieve-Legacy-%' ESCAPE '\' OR regexp_like(regexp_extract(ui_issuer_arn, '[^/]*$'), '^Pennsieve\-Compute\-(?:[0-9A-Za-z])+\-(?:[0-9A-Za-z])+$'))) OR (ui_issuer_arn LIKE '%:assumed-role/%' AND (regexp_extract(ui_issuer_arn, ':assumed-role/([^/]*)', 1) LIKE 'Pennsieve-Legacy-%' ESCAPE '\' OR regexp_like(regexp_extract(ui_issuer_arn, ':assumed-role/([^/]*)', 1), '^Pennsieve\-Compute\-(?:[0-9A-Za-z])+\-(?:[0-9A-Za-z])+$'))))
  OR ((ui_arn LIKE '%:role/%' AND (regexp_extract(ui_arn, '[^/]*$') LIKE 'Pennsieve-Legacy-%' ESCAPE '\' OR regexp_like(regexp_extract(ui_arn, '[^/]*$'), '^Pennsieve\-Compute\-(?:[0-9A-Za-z])+\-(?:[0-9A-Za-z])+$'))) OR (ui_arn LIKE '%:assumed-role/%' AND (regexp_extract(ui_arn, ':assumed-role/([^/]*)', 1) LIKE 'Pennsieve-Legacy-%' ESCAPE '\' OR regexp_like(regexp_extract(ui_arn, ':assumed-role/([^/]*)', 1), '^Pennsieve\-Compute\-(?:[0-9A-Za-z])+\-(?:[0-9A-Za-z])+$'))))
ORDER BY eventtime, eventid
