-- pvaudit trail replay (athena): AssumeRole events into the chosen roles and the
-- events made under their sessions, in the window; every row carries the row count.
WITH events AS (
  SELECT
    eventversion,
    eventid,
    sharedeventid,
    eventtime AS eventtime,
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
    requestparameters AS requestparameters,
    responseelements AS responseelements,
    json_extract_scalar(requestparameters, '$.roleArn') AS role_arn
  FROM "cloudtrail_logs"."org_trail"
  WHERE (year > '2026' OR (year = '2026' AND (month > '10' OR (month = '10' AND day >= '30'))))
    AND (year < '2026' OR (year = '2026' AND (month < '11' OR (month = '11' AND day <= '03'))))
    AND from_iso8601_timestamp(eventtime) >= from_iso8601_timestamp('2026-10-30T06:00:00.000Z')
    AND from_iso8601_timestamp(eventtime) <= from_iso8601_timestamp('2026-11-02T18:30:00.000Z')
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
