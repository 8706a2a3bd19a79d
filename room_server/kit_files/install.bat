@echo off
rem Synaq student app: install from this kit, with no internet (Windows 10 1903+, Python 3.11-3.13).
setlocal
rem The messages are in Kazakh, Russian and English: the console shows them in UTF-8.
chcp 65001 >nul
set "HERE=%~dp0"
set "TARGET=%LOCALAPPDATA%\Synaq\student-app"

rem The kit's wheels are for 64-bit CPython 3.11, 3.12 and 3.13 only: take one of those, never
rem simply the newest Python ("py -3" could be 3.14, for which the kit has no wheels).
set "CHECK=import struct, sys; sys.exit(0 if (3, 11) <= sys.version_info[:2] <= (3, 13) and struct.calcsize('P') == 8 else 1)"
set "PYTHON="
for %%V in (3.13 3.12 3.11) do (
  if not defined PYTHON (
    py -%%V -c "%CHECK%" >nul 2>nul && set "PYTHON=py -%%V"
  )
)
if not defined PYTHON (
  python -c "%CHECK%" >nul 2>nul && set "PYTHON=python"
)
if not defined PYTHON goto wrong_python

%PYTHON% -m venv "%TARGET%"
if errorlevel 1 goto failed
"%TARGET%\Scripts\python.exe" -m pip install --no-index --find-links "%HERE%wheels\windows" synaq-student
if errorlevel 1 goto failed
copy /y "%HERE%start-synaq.bat" "%USERPROFILE%\Desktop\Synaq.bat" >nul
echo Орнатылды. Жұмыс үстеліндегі "Synaq" белгішесі бағдарламаны ашады.
echo Установлено. Значок "Synaq" на рабочем столе открывает программу.
echo Installed. The desktop shortcut "Synaq" starts the app.
exit /b 0

:wrong_python
rem Which Python there is, if any, so the specialist knows what to change. Only a line that
rem starts "Python <digit>" counts (the Microsoft Store's stand-in prints "Python was not found").
set "FOUND="
for /f "tokens=2" %%W in ('py --version 2^>nul ^| findstr /r /c:"^Python [0-9]"') do set "FOUND=%%W"
if not defined FOUND for /f "tokens=2" %%W in ('python --version 2^>nul ^| findstr /r /c:"^Python [0-9]"') do set "FOUND=%%W"
echo.
echo Бұл компьютерде 64 биттік Python 3.11, 3.12 немесе 3.13 жоқ. Соның бірін орнатып, install.bat файлын қайта іске қосыңыз.
echo На этом компьютере нет 64-битного Python 3.11, 3.12 или 3.13. Установите одну из этих версий и снова запустите install.bat.
echo This computer has no 64-bit Python 3.11, 3.12 or 3.13. Install one of them, then run install.bat again.
if defined FOUND echo Табылғаны / Найдено / Found: Python %FOUND%
pause
exit /b 1

:failed
echo.
echo Орнату сәтсіз аяқталды: жоғарыдағы хабарламаны қараңыз.
echo Установка не удалась: смотрите сообщение выше.
echo The installation failed: see the message above.
pause
exit /b 1
